// libFuzzer target for the mapping-file reader: pcgrid::load_mapping (mapper/src/map.cpp), which also parses
// the embedded model (parse_model) and architecture (parse_arch), re-slices the model, checks the recorded
// placement and routes it.
//
// Input: the bytes of a mapping file (JSON, docs/mapping-format.md). load_mapping takes a path, so each
// input is written to "mapping.json" in a private directory (/dev/shm/pcgrid-fuzz-mapping-PID/, else
// $TMPDIR or /tmp; removed at exit, and those left by killed runs are swept at the next start).
//
// A clean rejection is a pcgrid::MapError, pcgrid::ModelError or pcgrid::ArchError. A finding is anything
// else: another exception type escaping (std::terminate → abort), a crash, a sanitizer report, a hang, or a
// broken invariant checked below (message on stderr, then __builtin_trap). A mapping that loads must be
// writable again: mapping_to_json must not throw.
#include "pcgrid/mapping.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace fs = std::filesystem;

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_mapping: invariant broken: %s\n", what.c_str());
  __builtin_trap();
}

void check(bool ok, const char* what) {
  if (!ok) finding(what);
}

// Private scratch directory, removed at exit. One per process, so -jobs / -fork runs do not collide.
struct Scratch {
  fs::path dir;
  Scratch() {
    std::error_code ec;
    fs::path base = "/dev/shm";
    if (!fs::is_directory(base, ec)) {
      const char* t = std::getenv("TMPDIR");
      base = t && *t ? fs::path(t) : fs::temp_directory_path(ec);
    }
    // A process killed by a crash, OOM or timeout leaves its directory behind: sweep those of dead pids.
    const std::string prefix = "pcgrid-fuzz-mapping-";
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
    if (ec) finding("cannot create scratch directory " + dir.string() + ": " + ec.message());
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string path(const char* name) const { return (dir / name).string(); }
};

Scratch& scratch() {
  static Scratch s;
  return s;
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) finding("cannot write " + path);
  if (size && std::fwrite(data, 1, size, f) != size) finding("short write to " + path);
  if (std::fclose(f) != 0) finding("cannot close " + path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = scratch().path("mapping.json");
  write_file(path, data, size);
  pcgrid::Mapping m;
  try {
    m = pcgrid::load_mapping(path);
  } catch (const pcgrid::MapError& e) {
    check(*e.what() != '\0', "MapError with an empty message");
    return 0;  // clean rejections
  } catch (const pcgrid::ModelError& e) {
    check(*e.what() != '\0', "ModelError with an empty message");
    return 0;
  } catch (const pcgrid::ArchError& e) {
    check(*e.what() != '\0', "ArchError with an empty message");
    return 0;
  }
  check(m.core_of.size() == m.slices.size(), "a core per slice");
  for (int c : m.core_of) check(c >= 0 && c < m.arch.cores(), "slice placed outside the grid");
  const std::string out = pcgrid::mapping_to_json(m);  // must not throw
  check(!out.empty(), "mapping_to_json wrote nothing");
  return 0;
}
