// Writing output files without ever losing a user's file.
#pragma once

#include <string>

namespace pcgrid::cli {

// Writes `text` to `path`. A regular file is written through a temporary file and a rename, so an
// interrupted run never leaves a truncated file, and an existing one is replaced only with `force`. A
// device or pipe (/dev/null, /dev/stdout) is written in place — renaming over it would replace the device.
// Throws MapError naming the path on failure, or when it exists and `force` is false.
void write_output(const std::string& path, const std::string& text, bool force);

}  // namespace pcgrid::cli
