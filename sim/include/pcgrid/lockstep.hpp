// Lockstep of the Verilog RTL (rtl/pcg_core.sv, rtl/pcg_router.sv) with the SystemC grid
// (docs/rtl.md). The cycle engine calls these hooks; the implementation (testbenches/lockstep.cpp) drives
// Verilated models in place of the SystemC core and router models of the selected cores:
//   core    every phase of a slice on an RTL core runs on the Verilated core; the SystemC kernel computes
//           the same phase as the reference. The RTL's outgoing payloads and cycle count are what the grid
//           uses; the scoreboard compares them (and, after each weight update, the slice's weight and bias
//           words) with the kernel's and records the first divergence.
//   router  each mesh cycle the Verilated router gets the flits and credits that enter it and its grants
//           (which input goes to which output, with the flit's bits) are compared with the SystemC router's
//           and then executed.
// A divergence pauses the simulation; the engine throws SimError with its description.
#pragma once

#include "pcgrid/kernel.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace pcgrid {

class FxEngine;

struct RtlFlit {
  int port = 0;  // input port (0 local, 1 east, 2 west, 3 north, 4 south)
  uint32_t data = 0;
  bool head = false, tail = false;
};
struct RtlGrant {
  int out = 0, in = 0;  // output port ← input port
  uint32_t data = 0;
  bool head = false, tail = false;
};

class Lockstep {
 public:
  virtual ~Lockstep() = default;
  virtual bool core_on_rtl(int core) const = 0;
  virtual bool router_on_rtl(int router) const = 0;
  // Core hooks (slice s sits on an RTL core). `now` is the SystemC cycle; the phase hooks return the RTL's
  // cycles for the phase after comparing them with `model_cycles`.
  virtual void pred_in(int s, const Link& l, const int16_t* payload, int64_t now) = 0;
  virtual int64_t forward(int s, int64_t model_cycles, int64_t now) = 0;
  virtual void pred_out(int s, const Link& l, std::vector<int16_t>& payload, int64_t now) = 0;
  virtual int64_t output_error(int s, int label, int64_t model_cycles, int64_t now) = 0;
  virtual int64_t err_out(int s, const Link& l, bool first, std::vector<int16_t>& payload, int64_t model_cycles,
                          int64_t now) = 0;
  virtual void err_in(int s, const Link& l, const int16_t* payload, int64_t now) = 0;
  virtual int64_t relax(int s, int64_t model_cycles, int64_t now) = 0;
  virtual int64_t update(int s, int64_t model_cycles, int64_t now) = 0;
  // Router hooks: the clock edge that starts cycle `now` (flits entering input buffers, credits returned by
  // the downstream routers in the previous cycle), then this cycle's grants. `inject_pending`: the local
  // network interface had a flit to offer this cycle; `injected`: the SystemC router took it.
  virtual void router_edge(int id, const std::vector<RtlFlit>& pushes, unsigned credits, bool inject_pending,
                           bool injected, int64_t now) = 0;
  virtual std::vector<RtlGrant> router_grants(int id, const std::vector<RtlGrant>& model, int64_t now) = 0;

  virtual bool failed() const = 0;
  virtual std::string divergence() const = 0;
  // A JSON object with what the scoreboard compared and the RTL's clock counts.
  virtual std::string report_json() const = 0;
};

struct LockstepConfig {
  std::vector<int> cores;    // core ids on RTL; empty = none
  std::vector<int> routers;  // router ids on RTL
  bool all_cores = false, all_routers = false;
  bool mutant = false;  // the deliberately broken core (rounding bit flipped): the scoreboard must catch it
  // Every RTL core and router as Yosys's iCE40 netlist of pcg_core (every unit) / pcg_router, Verilated over the
  // cell models (gate-level lockstep; only in a build with PCGRID_NETLIST, else attach_lockstep throws SimError).
  bool netlist = false;
  // The RTL models' power-up state: every register without an initial value random from this seed (Verilator's
  // randReset(2)), as flip-flops without a reset may power up; 0: every register at 0. Memories start at 0 (the
  // RTL's own initial blocks; the netlists' block RAMs as the bitstream loads them; their flip-flops at 0, as the
  // iCE40 configures them), the netlists' SPRAM words and DSP registers random from the same seed. A coverage build
  // (PCGRID_RTL_COVERAGE) uses 0: a random power-up value would count as a toggle; report_json names the state used.
  uint32_t power_up_seed = 1;
  std::string vcd;  // VCD of the RTL models of `vcd_core` (core and router)
  int vcd_core = -1;
  int64_t vcd_from = 0, vcd_to = std::numeric_limits<int64_t>::max();  // SystemC cycles traced
  // The port trace of one RTL core: every memory-port write, command and memory-port read (with the word the
  // RTL returned) as JSON lines (docs/rtl.md, "Port trace"), for replaying on a board (scripts/board_host.py).
  std::string port_trace;
  int port_trace_core = -1;
};

// Attaches the RTL to a cycle engine before its first sample. Throws SimError naming the core/slice when a
// selected core holds a slice the RTL does not implement, or the architecture differs from the Verilated
// configuration. Defined by the pcgrid_lockstep library (testbenches/).
std::shared_ptr<Lockstep> attach_lockstep(FxEngine& cycle_engine, const LockstepConfig& c);

// The RTL core's softmax output error on its own (tests): a Verilated pcg_core (as the synthesis top builds it, ACTS =
// 0) gets v̂ through a forward pass of one column, runs SMAX with `label`, and returns ε (Q3.13), the cycles busy was
// high, and how many of the slots' received-error sums it left non-zero (it uses them as scratch and must clear them).
// `mutant`: the deliberately broken core of --rtl-mutant (its softmax drops the interpolation's round-half-up).
struct RtlSoftmax {
  std::vector<int16_t> eps;
  int64_t cycles = 0;
  int esum_left = 0;
};
RtlSoftmax rtl_softmax_ce(const std::vector<int16_t>& vhat, int label, bool mutant = false);

// The RTL core's activations on their own (tests): a Verilated pcg_core gets pre[k] (k < n ≤ 127) as the sums
// of a one-column FWD with activation `act` (fx::FxAct's code) and slope `alpha` (Q1.15), then ε[k] through
// RELAX (shift 0: ε = the received sum), and returns v̂, δ as an ERR projects it through an n × n identity
// (weights 1.0) and δ as an UPDATE (shift 0) adds it to the bias, with each command's busy cycles and the
// weights the UPDATE left. `seed` ≠ 0: a SEED of the slice's generator right before the UPDATE, accepted at
// the edge before it (`seed_gap` false) or two edges before (true); the weights must not depend on that.
struct RtlAct {
  std::vector<int16_t> vhat, delta_err, delta_update, weights;
  int64_t fwd_cycles = 0, err_cycles = 0, update_cycles = 0;
};
RtlAct rtl_activation(int act, int alpha, const std::vector<int16_t>& pre, const std::vector<int16_t>& eps,
                      uint32_t seed = 0, bool seed_gap = false);

// The RTL core's refusal of commands it cannot carry out (tests): on a Verilated pcg_core (`acts`: the ACTS = 1, ELEM =
// 1 build, else the synthesized ACTS = 0, ELEM = 0 one) a one-column FWD (identity) sets v̂ = (100, −200); the weights
// then change to (300, −600) and the probe runs: `op` (the core's op code) with activation `act` and the same fields;
// with `again_at` >= 0 instead the identity FWD again, strobed a second time in its busy cycle `again_at` (`op` and
// `act` unused); `elem`: the probe carries cmd_elem (an elementwise slice's command). Returns
// the probe's busy cycles, cmd_err after it, v̂ after it, and cmd_err after a SEED that follows (it must clear it).
struct RtlRefusal {
  int64_t cycles = 0;
  bool cmd_err = false, cmd_err_after_seed = true;
  std::vector<int16_t> vhat;
};
RtlRefusal rtl_refusal(bool acts, int op, int act, int again_at = -1, bool elem = false);

// The RTL core's elementwise add on its own (tests): on the ACTS = 1, ELEM = 1 core, two parents' words a[k], b[k] (k <
// n ≤ 127) are accumulated into the x buffer through the memory port (sel 4: x = sat16(x + word)), then an ELEM FWD
// with activation `act` runs. Returns v̂, the x words after the FWD (it clears them) and its busy cycles; a second
// round with the same words must give the same v̂.
struct RtlElemAdd {
  std::vector<int16_t> vhat, vhat_again, x_after;
  int64_t cycles = 0;
};
RtlElemAdd rtl_elem_add(const std::vector<int16_t>& a, const std::vector<int16_t>& b, int act);

// The RTL core's elementwise mul on its own (tests): on the ACTS = 1, ELEM = 1 core, a mul slice of n ≤ 127 elements
// gets its parents' words a[k], b[k] as the harness delivers them (a in the x buffer and at weight word 2k + 1, b at
// weight word 2k), runs FWD (ELEM mul, activation `act`), ε[k] through RELAX (shift 0), then ERR to parent a
// (first link of the phase) and to parent b. Returns v̂, the two error payloads and the busy cycles of FWD
// and of the two ERRs.
struct RtlElemMul {
  std::vector<int16_t> vhat, err_a, err_b;
  int64_t fwd_cycles = 0, err_a_cycles = 0, err_b_cycles = 0;
};
RtlElemMul rtl_elem_mul(const std::vector<int16_t>& a, const std::vector<int16_t>& b, const std::vector<int16_t>& eps,
                        int act);

// Used by attach_lockstep: hands the hooks to the cycle engine (sim/src/grid.cpp).
void set_lockstep(FxEngine& cycle_engine, std::shared_ptr<Lockstep> l);

}  // namespace pcgrid
