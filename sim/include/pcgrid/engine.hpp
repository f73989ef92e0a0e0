// The two fixed-point engines that execute a mapping: the functional engine (fast, untimed, the golden
// model) and the cycle-level SystemC grid. Both hold one SliceKernel per slice and produce bit-identical
// weights and outputs for the same mapping, data, configuration and seed.
#pragma once

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

 protected:
  FxEngine(const Mapping& m, const FxConfig& c);
  const Mapping* m_;
  FxConfig cfg_;
  Plan plan_;
  std::vector<SliceKernel> kernels_;
  int steps_ = 1;
  int output_slice_ = 0;
  SimStats stats_;
};

std::unique_ptr<FxEngine> make_functional_engine(const Mapping& m, const FxConfig& c);
std::unique_ptr<FxEngine> make_cycle_engine(const Mapping& m, const FxConfig& c);

// Cycle engine only: write a VCD trace of one core and its router for simulated cycles [from, to).
void enable_vcd(FxEngine& e, const std::string& path, Coord core, int64_t from, int64_t to);
void finish_vcd(FxEngine& e);

// Argmax of a Q5.11 output vector (lowest index on ties).
int argmax16(const std::vector<int16_t>& v);

}  // namespace pcgrid
