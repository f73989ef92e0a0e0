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

#include "fuzz_scratch.hpp"

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

pcgrid_fuzz::Scratch& scratch() {
  static pcgrid_fuzz::Scratch s("pcgrid-fuzz-mapping-", finding);
  return s;
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  pcgrid_fuzz::write_file(path, data, size, finding);
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
