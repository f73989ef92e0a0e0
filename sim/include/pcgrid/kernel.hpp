// What one slice of a mapping computes, in the fixed-point specification (fixed.hpp), and the messages it
// exchanges. Both fixed-point engines (functional.cpp, grid.cpp) hold one SliceKernel per slice and call
// the same methods on the same payloads; only *when* they call them differs. That is what makes their
// weights and outputs bit-identical.
//
// Learning follows DESIGN.md §2 with the fixed-prediction assumption, on chip:
//   forward   each slice waits for the PRED messages of its parent slices (input slices: from the host),
//             computes a = op(parents; W, b) and v̂ = act(a), sends PRED to its child slices (the output
//             slice: to the host);
//   target    the output slice gets the label from the host and sets ε_out = −∂L/∂v̂_out;
//   relax ×T  every slice with non-input parents sends ERR = its back-projection (∂v̂/∂parent)ᵀ(f'(a)⊙ε)
//             over the parent elements it reads; every hidden slice sums the ERR it receives (e) and steps
//             ε ← ε − (ε − e)·2^-shift_v (predictions are fixed, so ε moves as v does);
//   learn     W ← W + 2^-shift_lr·(f'(a)⊙ε)·xᵀ, b ← b + 2^-shift_lr·f'(a)⊙ε with x the received forward
//             values, rounded stochastically with the slice's own generator.
#pragma once

#include "pcgrid/fixed.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/mapping.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pcgrid {

class SimError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr int kHost = -1;  // peer id of the host-interface tile

struct Part {
  int slot = 0;            // parent slot of the receiving slice's vertex
  int64_t lo = 0, hi = 0;  // elements [lo, hi) of that parent vertex
};
// One message per relaxation step (or per sample) between a slice and a peer, as a list of parts.
struct Link {
  int peer = kHost;
  std::vector<Part> parts;
  int64_t words = 0;
};

struct SlicePlan {
  int id = 0;
  size_t vertex = 0;
  int64_t e_lo = 0, e_hi = 0;  // elements of the vertex held here (= rows for dense)
  int64_t fan_in = 0;          // dense: parent size
  bool is_input = false, is_output = false;
  int core = 0;                           // core id (row-major) from the mapping
  std::vector<int64_t> need_lo, need_hi;  // per parent slot, the parent elements this slice reads
  std::vector<Link> pred_in;              // parts in parent element indices (input slices: one link from the host)
  std::vector<Link> pred_out;             // parts in this vertex's element indices (the output slice: to the host)
  std::vector<Link> err_out;              // to non-input parent slices; parts in parent element indices
  std::vector<Link> err_in;               // from child slices; parts in this vertex's element indices
};

struct Plan {
  std::vector<SlicePlan> slices;
  std::vector<int> order;  // slices in forward order (vertex topological order, then slice id)
  int default_steps = 1;   // relaxation steps for ε to reach every vertex at shift_v = 0
};

// Builds the message plan of a mapping. Throws SimError naming the vertex when the fixed-point engines do
// not support it (conv2d, shared parameters, add/mul with per-parent functions, a sliced softmax output).
Plan make_plan(const Mapping& m);

// Energy-relevant event counts, accumulated by the kernels.
struct Counters {
  int64_t macs = 0, sram_reads = 0, sram_writes = 0, reg_accesses = 0;
};

// Cycles a core spends on one phase of one slice (the timing contract the RTL core must meet):
// kPhaseCycles + ceil(ops / mac_lanes), ops = MACs (dense) or elements (elementwise); softmax adds
// kDivCycles per output for its divisions.
constexpr int64_t kPhaseCycles = 4;  // SRAM read → multiply → accumulate → write-back pipeline fill
constexpr int64_t kDivCycles = 18;   // radix-2 restoring divider: 16 quotient bits + 2
// The weight update's write-back comes 2 cycles later than the other phases' results: its stochastic
// rounding is split into three pipeline stages (low-part carry, high part, saturating add) so that the RTL
// core's clock reaches 48 MHz on an iCE40 UP5K (docs/rtl.md).
constexpr int64_t kUpdatePipeline = 2;

class SliceKernel {
 public:
  SliceKernel(const Graph& g, const SlicePlan& p, const std::vector<double>& w, const std::vector<double>& b,
              uint64_t seed);
  const SlicePlan& plan() const { return *p_; }

  // Forward. Input slices: `host_pred` with the pixels already converted (fx::pixel_value).
  void receive_pred(const Link& l, const int16_t* payload);
  int64_t forward(int mac_lanes, Counters& c);  // returns cycles
  void pred_payload(const Link& l, std::vector<int16_t>& out) const;
  int64_t output_error(int label, int mac_lanes, Counters& c);
  // Relaxation.
  void begin_step();
  int64_t err_payload(const Link& l, int mac_lanes, Counters& c, std::vector<int16_t>& out) const;
  void receive_err(const Link& l, const int16_t* payload);
  int64_t relax(int shift_v, int mac_lanes, Counters& c);
  // Learning.
  int64_t update(int shift_lr, int mac_lanes, Counters& c);

  // A stuck-at bit of this slice's SRAM: word `index` (weights row-major, then biases), forced to `value`
  // now and after every weight update.
  void add_stuck(int64_t index, int bit, int value);
  void apply_stuck();
  // Flips one bit of word `index` (weights, then biases).
  void flip(int64_t index, int bit);
  int64_t sram_words() const { return int64_t(W_.size() + b_.size()); }

  const std::vector<int16_t>& weights() const { return W_; }
  const std::vector<int16_t>& biases() const { return b_; }
  std::vector<int16_t>& weights() { return W_; }
  std::vector<int16_t>& biases() { return b_; }
  const std::vector<int16_t>& vhat() const { return vhat_; }
  const std::vector<int16_t>& eps() const { return eps_; }
  uint32_t rng_state() const { return rng_; }
  const fx::ActParams& act() const { return act_; }  // the activation in the fixed-point engines' terms

 private:
  int16_t delta(int64_t e) const;  // f'(a)·ε of local element e (0-based)
  const Graph* g_;
  const SlicePlan* p_;
  OpKind op_;
  fx::ActParams act_;
  std::vector<int64_t> concat_off_;        // concat: output offset of each parent slot
  std::vector<std::vector<int16_t>> x_;    // per slot: received values over need_lo..need_hi
  std::vector<int16_t> W_, b_;             // dense: rows × fan_in, rows
  std::vector<int16_t> pre_, vhat_, eps_;  // per local element
  std::vector<int32_t> esum_;              // ERR received this step
  // Per err_out link: the last payload and the δ it was computed from (valid within one sample).
  mutable std::vector<std::vector<int16_t>> err_cache_, last_delta_;
  mutable bool delta_stale_ = true;  // ε changed since δ was last computed (its cycles not yet charged)
  uint32_t rng_ = 1;
  struct Stuck {
    int64_t index;
    int bit, value;
  };
  std::vector<Stuck> stuck_;
};

int16_t quantize_weight(double w);

}  // namespace pcgrid
