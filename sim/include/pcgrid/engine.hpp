// The two fixed-point engines that execute a mapping: the functional engine (fast, untimed, the golden
// model) and the cycle-level SystemC grid. Both hold one SliceKernel per slice and produce bit-identical
// weights and outputs for the same mapping, data, configuration and seed.
#pragma once

#include "pcgrid/faults.hpp"
#include "pcgrid/kernel.hpp"
#include "pcgrid/mapping.hpp"
#include "pcgrid/reference.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pcgrid {

struct FxConfig {
  uint64_t seed = 1;  // weight initialisation and the slices' rounding generators
  Init init = Init::Xavier;
  int steps = -1;    // relaxation steps T; -1 = Plan::default_steps (errors reach every vertex)
  int shift_v = 0;   // inference rate η_v = 2^-shift_v (1: ε takes the back-projected value each step)
  int shift_lr = 7;  // weight rate η_θ = 2^-shift_lr = 0.0078125 (per-sample SGD)
};

// What a run paid. NoC figures count messages between different cores (and the host); messages between
// slices on the same core stay inside it.
struct SimStats {
  int64_t train_samples = 0, infer_samples = 0;
  int64_t train_cycles = 0, infer_cycles = 0;  // simulated cycles spent (cycle engine only; 0 otherwise)
  Counters counters;
  int64_t messages = 0, flits = 0, flit_hops = 0;
  std::vector<int64_t> link_flits;  // per directed link (router id * 4 + port − 1)
  std::vector<int64_t> core_busy;   // per core: cycles computing (cycle engine)
  std::vector<int64_t> core_macs;   // per core: MACs
};

// What faults cost a run (docs/faults.md).
struct FaultStats {
  int64_t missing_messages = 0;  // expected by a live slice from a dead, idle or unreachable sender: zeros used
  int64_t damaged_messages = 0;  // arrived with dropped flits: discarded, zeros used
  int64_t dropped_flits = 0, corrupted_flits = 0;
  int64_t sram_bit_flips = 0, stuck_bits = 0;
  int64_t dead_slices = 0, idle_slices = 0;    // idle: alive, but every PRED source is gone
  int64_t lost_neurons = 0, lost_weights = 0;  // elements and weight words of dead slices
  int64_t timeouts = 0;                        // cycle engine: waits ended by the bound (faults at a cycle)
  int64_t lost_outputs = 0;                    // samples whose prediction never reached the host
  int64_t lost_flits = 0;                      // cycle engine: flits dropped by dead routers or sent into dead links
};

class FxEngine {
 public:
  virtual ~FxEngine() = default;
  virtual std::string name() const = 0;
  // One training sample (forward, output error, T relaxation steps, local weight update). Returns the
  // class predicted by the forward sweep.
  virtual int train(const uint8_t* pixels, int label) = 0;
  // Inference of n samples (forward only); writes the predicted classes.
  virtual void infer(const uint8_t* pixels, int64_t n, int64_t pixels_per_sample, int* predicted) = 0;
  // Completes all pending work (the cycle engine lets the last sample's relaxation and weight update run
  // out). Call before reading weights or statistics.
  virtual void sync() {}
  std::vector<SliceKernel>& kernels() { return kernels_; }
  const std::vector<SliceKernel>& kernels() const { return kernels_; }
  const Plan& plan() const { return plan_; }
  const Mapping& mapping() const { return *m_; }
  const SimStats& stats() const { return stats_; }
  int steps() const { return steps_; }
  const FxConfig& config() const { return cfg_; }
  // Output prediction of the last forward sweep (Q5.11).
  const std::vector<int16_t>& last_output() const;

  // Faults (docs/faults.md). Set before training; a fault at sample S applies before training sample S
  // (counting from 0 over the engine's life), at a quiescent point, in both engines alike.
  void set_faults(const FaultSet& f);
  const FaultStats& fault_stats() const { return fstats_; }
  bool slice_dead(int s) const { return slice_dead_[size_t(s)] != 0; }
  bool slice_idle(int s) const { return slice_idle_[size_t(s)] != 0; }
  // The mapping's architecture with every dead core, router and link applied so far.
  const Arch& live_arch() const { return live_arch_; }
  // Applies the faults due before training sample `sample` (engines call it; exposed for tools that
  // damage a chip and then only infer). Returns true when something changed.
  bool apply_due_faults(int64_t sample);

 protected:
  FxEngine(const Mapping& m, const FxConfig& c);
  const Mapping* m_;
  FxConfig cfg_;
  Plan plan_;
  std::vector<SliceKernel> kernels_;
  int steps_ = 1;
  int output_slice_ = 0;
  SimStats stats_;

  // Fault state, shared by both engines (fault_runtime.cpp).
  // Does `receiver` (a slice, or kHost) get nothing from `peer` (a slice, or kHost): the peer is dead or
  // idle, or no live route joins their routers. Known to every live slice after a fault at a sample (the
  // host's configuration broadcast at the quiescent point).
  bool peer_silent(int receiver, int peer) const;
  bool output_lost() const;  // the host cannot get predictions
  // Flit faults of one NoC message (deterministic per message): corrupts payload bits in place and returns
  // false when a flit is dropped (the receiver discards the message).
  bool flit_faults(int src, int dst, int64_t sample, int step, int kind, std::vector<int16_t>& payload);
  // SRAM bit flips at the configured rate before training sample `sample`, then the stuck bits.
  void sram_faults(int64_t sample);
  // Called after faults changed the chip (routes, dead slices).
  virtual void on_faults_changed() {}
  virtual void on_faults_set() {}
  void init_fault_state();
  void recompute_components();
  int core_of_peer(int peer) const;
  std::vector<Coord> cores_in_use() const;  // cores holding slices, sorted (for fault selections)
  bool reachable(int core_a, int core_b) const;

  FaultSet faults_;
  std::vector<char> applied_;
  std::vector<char> slice_dead_, slice_idle_, core_dead_;
  Arch live_arch_;
  Routing live_routing_;
  std::vector<int> comp_;  // live-mesh component per router (-1: dead router)
  double p_corrupt_ = 0, p_drop_ = 0, p_flip_ = 0;
  struct Stuck {
    int core = 0;
    int64_t word = 0;
    int bit = 0, value = 0;
  };
  std::vector<Stuck> stuck_;
  FaultStats fstats_;
  std::vector<std::vector<int>> core_slices_;  // per core: its slices in SRAM order (slice id ascending)
};

std::unique_ptr<FxEngine> make_functional_engine(const Mapping& m, const FxConfig& c);
std::unique_ptr<FxEngine> make_cycle_engine(const Mapping& m, const FxConfig& c);

// Cycle engine only: write a VCD trace of one core and its router for simulated cycles [from, to).
void enable_vcd(FxEngine& e, const std::string& path, Coord core, int64_t from, int64_t to);
void finish_vcd(FxEngine& e);

// Argmax of a Q5.11 output vector (lowest index on ties).
int argmax16(const std::vector<int16_t>& v);

}  // namespace pcgrid
