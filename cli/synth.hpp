// `pcgrid synth`: synthesise one grid tile (rtl/pcg_top.sv: a pcg_core and a pcg_router) for an iCE40
// with Yosys, nextpnr-ice40 and icepack, and report area and Fmax (docs/synthesis.md).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace pcgrid::cli {

// Bad synthesis input, a missing tool or a failing tool; the message names the file or the log.
struct SynthError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SynthOpts {
  std::string target = "up5k";      // up5k (sg48) or hx8k (ct256)
  int seeds = 3;                    // nextpnr --seed 1..seeds; Fmax = median over seeds
  double freq = 48;                 // target clock, MHz
  std::string rtl;                  // RTL directory; empty = the source tree's rtl/
  std::string out;                  // work directory; empty = ./synth-<target>
  std::string pcf;                  // optional pin constraints; empty = nextpnr places the I/O
  std::vector<std::string> params;  // NAME=VALUE overrides of pcg_top's parameters
  bool json = false, force = false;
};

// Runs the flow; returns the exit code. Throws SynthError.
int run_synth(const SynthOpts& o);

}  // namespace pcgrid::cli
