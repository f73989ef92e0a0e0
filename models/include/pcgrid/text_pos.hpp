// Positions in text files, for error messages that point at the offending line.
#pragma once

#include <cstddef>
#include <string>

namespace pcgrid {

// "line L, column C" (1-based) of byte offset `byte` in `text`.
std::string line_col(const std::string& text, size_t byte);

}  // namespace pcgrid
