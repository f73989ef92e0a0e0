// Shared by the fuzz targets whose reader takes a path: a private scratch directory per process and a
// file writer. `fail` reports a broken invariant of the calling target (it prints and traps).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace pcgrid_fuzz {

using Fail = void (*)(const std::string&);

// /dev/shm/PREFIXPID/ (else $TMPDIR or /tmp), removed at exit. One per process, so -jobs / -fork runs do
// not collide. A process killed by a crash, OOM or timeout leaves its directory behind: those of dead pids
// are swept at the next start.
struct Scratch {
  std::filesystem::path dir;
  Scratch(const std::string& prefix, Fail fail) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path base = "/dev/shm";
    if (!fs::is_directory(base, ec)) {
      const char* t = std::getenv("TMPDIR");
      base = t && *t ? fs::path(t) : fs::temp_directory_path(ec);
    }
    try {
      for (const auto& e : fs::directory_iterator(base, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        const std::string pid = name.substr(prefix.size());
        if (!pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos &&
            !fs::exists("/proc/" + pid, ec)) {
          std::error_code ignore;
          fs::remove_all(e.path(), ignore);
        }
      }
    } catch (const fs::filesystem_error&) {
      // best effort
    }
    dir = base / (prefix + std::to_string(::getpid()));
    fs::create_directories(dir, ec);
    if (ec) fail("cannot create scratch directory " + dir.string() + ": " + ec.message());
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string path(const char* name) const { return (dir / name).string(); }
};

inline void write_file(const std::string& path, const uint8_t* data, size_t size, Fail fail) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail("cannot write " + path);
  if (size && std::fwrite(data, 1, size, f) != size) fail("short write to " + path);
  if (std::fclose(f) != 0) fail("cannot close " + path);
}

}  // namespace pcgrid_fuzz
