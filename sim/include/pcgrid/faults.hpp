// Fault injection (docs/faults.md): what can break on the simulated chip, when, and the reader of fault
// files. Both fixed-point engines apply the same faults; faults at a training sample are applied at a
// quiescent point between samples and are deterministic (the engines stay bit-identical), faults at a cycle
// exist only on the cycle-level grid.
#pragma once

#include "pcgrid/arch.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pcgrid {

enum class FaultKind { DeadCore, DeadRouter, DeadLink, SramStuck, SramFlip, FlitCorrupt, FlitDrop };
const char* to_string(FaultKind k);

struct Fault {
  FaultKind kind = FaultKind::DeadCore;
  int64_t at_sample = 0;  // applied before training sample `at_sample` (0 = before the first)
  int64_t at_cycle = -1;  // ≥ 0: applied at this simulated cycle instead (cycle engine only)
  // dead_core / dead_router: explicit cores, or a selection resolved with the fault file's seed.
  std::vector<Coord> cores;
  std::string region;                          // "", "left_half", "right_half", "top_half", "bottom_half", "far_half"
  double fraction = -1;                        // ≥ 0: a random selection of this fraction of the grid's cores ...
  bool of_used = false;                        // ... or of the cores that hold slices ("fraction_of_used")
  bool router_dies = false;                    // dead_core: the core's router dies too
  std::vector<std::pair<Coord, Coord>> links;  // dead_link
  // sram_stuck: core, word address in the core's weight SRAM, bit 0..15, value 0/1
  Coord core;
  int64_t word = 0;
  int bit = 0, value = 0;
  double rate = 0;  // sram_flip: flips per weight word per training sample; flit_*: per flit
};

struct FaultSet {
  uint64_t seed = 1;
  std::vector<Fault> faults;
  bool empty() const { return faults.empty(); }
};

// Reads a fault file (JSON, docs/faults.md). Checks every key and range against `a` (cores inside the
// grid, links between neighbours, bits 0..15, rates in [0, 1]). Throws SimError "FILE: key: what".
FaultSet load_faults(const std::string& path, const Arch& a);
FaultSet parse_faults(const std::string& text, const std::string& origin, const Arch& a);

// Resolves the cores a dead_core / dead_router fault hits: explicit cores, a region of the grid, or a
// random fraction of the grid's cores (or of `in_use`, the cores holding slices), reproducible from `seed`. "far_half"
// is the half of the grid (left/right or top/bottom, whichever cut is longer) that does not hold the host tile.
std::vector<Coord> fault_cores(const Fault& f, const Arch& a, const std::vector<Coord>& in_use, uint64_t seed,
                               size_t index);

}  // namespace pcgrid
