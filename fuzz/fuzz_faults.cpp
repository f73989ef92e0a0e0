// libFuzzer target for the fault-file reader: pcgrid::parse_faults (sim/src/faults.cpp), and the selection
// of the cores a fault hits (pcgrid::fault_cores).
//
// Input: the bytes of a fault file (JSON, docs/faults.md), parsed against a 6 × 5 grid (default cores,
// host at (0, 0)). parse_faults takes text, so no file is written.
//
// A clean rejection is a pcgrid::SimError whose message starts with the origin "fuzz-faults.json". A
// finding is anything else: another exception type escaping (std::terminate → abort), a crash, a
// sanitizer report, a hang, or a broken invariant (message on stderr, then __builtin_trap):
//  - every accepted fault names only cores inside the grid, links between neighbours, bits 0..15, words
//    below sram_words, rates and fractions in [0, 1];
//  - fault_cores returns cores inside the grid, no more than the grid has, sorted and without repeats for
//    a random selection, and the same cores for the same seed.
#include "pcgrid/faults.hpp"
#include "pcgrid/kernel.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_faults: invariant broken: %s\n", what.c_str());
  __builtin_trap();
}

void check(bool ok, const char* what) {
  if (!ok) finding(what);
}

const pcgrid::Arch& arch() {
  static const pcgrid::Arch a = [] {
    pcgrid::Arch x = pcgrid::default_arch();
    x.width = 6;
    x.height = 5;
    return x;
  }();
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string origin = "fuzz-faults.json";
  const pcgrid::Arch& a = arch();
  pcgrid::FaultSet fs;
  try {
    fs = pcgrid::parse_faults(text, origin, a);
  } catch (const pcgrid::SimError& e) {
    check(std::string(e.what()).rfind(origin + ": ", 0) == 0, "SimError message does not start with the origin");
    return 0;
  }
  const std::vector<pcgrid::Coord> in_use{{0, 0}, {1, 0}, {2, 3}, {5, 4}};
  for (size_t k = 0; k < fs.faults.size(); ++k) {
    const pcgrid::Fault& f = fs.faults[k];
    check(f.rate >= 0 && f.rate <= 1, "rate outside [0, 1]");
    check(f.bit >= 0 && f.bit <= 15, "bit outside 0..15");
    check(f.word >= 0 && f.word < a.sram_words, "word outside the SRAM");
    check(f.fraction <= 1, "fraction above 1");
    for (const auto& [u, v] : f.links)
      check(a.inside(u) && a.inside(v) && std::abs(u.x - v.x) + std::abs(u.y - v.y) == 1, "bad link accepted");
    if (f.kind != pcgrid::FaultKind::DeadCore && f.kind != pcgrid::FaultKind::DeadRouter) continue;
    const auto cores = pcgrid::fault_cores(f, a, in_use, fs.seed, k);
    check(cores == pcgrid::fault_cores(f, a, in_use, fs.seed, k), "selection differs for the same seed");
    check(cores.size() <= size_t(a.cores()), "more cores than the grid has");
    for (const auto& c : cores) check(a.inside(c), "selected core outside the grid");
    if (f.fraction >= 0) {
      check(std::is_sorted(cores.begin(), cores.end()), "random selection not sorted");
      check(std::adjacent_find(cores.begin(), cores.end()) == cores.end(), "random selection repeats a core");
    }
  }
  return 0;
}
