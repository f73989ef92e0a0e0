// Double-precision reference engines: exact backprop and predictive coding (DESIGN.md §2).
//
// Conventions (kept everywhere in pcgrid):
//   prediction  v̂_i = act_i(op_i(parents; θ_i)),  error ε_i = v_i − v̂_i,
//   output      ε_out = −∂L/∂v̂_out (MSE: clamp v_out to the target; softmax-CE: target − softmax(v̂_out)),
//   relaxation  v_i ← v_i − η_v·(ε_i − Σ_{j∈children(i)} (∂v̂_j/∂v_i)ᵀ ε_j)   (all vertices updated together),
//   learning    θ_i ← θ_i + η_θ·(∂v̂_i/∂θ_i)ᵀ ε_i.
// At equilibrium ε_i = −∂L/∂v_i, so PC's weight step equals minus the backprop gradient.
// Tensors are batch-major: a vertex's batch is B rows of size_of(i) doubles.
#pragma once

#include "pcgrid/graph.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pcgrid {

// Deterministic, platform-independent random numbers (SplitMix64 seeding a xoshiro256** stream).
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  double uniform();            // [0, 1)
  double normal();             // N(0, 1), Box–Muller
  uint64_t below(uint64_t n);  // [0, n), unbiased
 private:
  uint64_t s_[4];
};

// Parameters of a graph: for each parameter owner, weights (layout of Graph::weight_shape) and bias.
struct Params {
  std::vector<std::vector<double>> w, b;  // indexed by vertex id; empty for non-owners
  size_t count() const;
};

enum class Init { Xavier, He, Normal };
bool parse_init(const std::string& s, Init& out);
// Weight initialisation: Xavier/Glorot uniform (Glorot & Bengio 2010), He normal (He et al. 2015), or
// N(0, std²); biases start at zero. Deterministic for a given seed.
Params init_params(const Graph& g, Init scheme, uint64_t seed, double normal_std = 0.05);

// Per-vertex kernels shared by both engines.
// forward: z = op(parents), vhat = act(z), each B × size_of(i).
void vertex_forward(const Graph& g, const Params& p, size_t i, int B, const std::vector<const double*>& par, double* z,
                    double* vhat);
// Vector-Jacobian product of vertex i at (parents `par`, pre-activation `z`) applied to `gy` (B × size):
// adds (∂v̂_i/∂parent)ᵀ gy into gpar[k] (skipped when null) and (∂v̂_i/∂θ)ᵀ gy, summed over the batch,
// into gw / gb (skipped when null).
void vertex_vjp(const Graph& g, const Params& p, size_t i, int B, const std::vector<const double*>& par,
                const double* z, const double* gy, const std::vector<double*>& gpar, double* gw, double* gb);

// Nominal multiply-accumulates performed by vertex_forward / vertex_vjp on this thread (dense and conv2d
// weights only), for benchmarks comparing measured speed with the ideal from MAC counts.
uint64_t& mac_count();

// Loss of the output vertex for a batch and −∂L/∂v̂ (the output error ε_out), both per sample summed.
// target: B × size (one-hot for classification).
double output_error(Loss loss, int B, int64_t n, const double* vhat, const double* target, double* eps);

enum class PcMode { Standard, FixedPrediction };

struct PcConfig {
  PcMode mode = PcMode::Standard;
  int steps = 5;       // T, relaxation steps (T = 5 as in the PCX MLP benchmark, Pinchetti et al. 2024)
  double eta_v = 0.1;  // inference rate
  // Output nudge β: ε_out = β·(−∂L/∂v̂_out), i.e. energy F = Σ½‖ε_i‖² + β·L. β = 1 is the usual clamped
  // output. Reported gradients are divided by β. As β → 0 every error shrinks and standard PC's
  // gradients tend to backprop's (the weak-nudging limit, cf. Scellier & Bengio 2017; Millidge et al. 2020).
  double beta = 1.0;
  // Per-neuron inference rate η_v / (1 + d_i), d_i = Σ over children of the squared weights that read
  // neuron i (a diagonal Gauss–Newton estimate of the energy's curvature, ignoring activation slopes;
  // 1 per elementwise child). Keeps relaxation stable as weights grow; each d_i needs only the weights of
  // the cores that read the neuron and is fixed while the weights are.
  bool precondition = false;
};

// Gradients of the loss w.r.t. parameters (descent direction is −grad), same layout as Params.
struct Grads {
  std::vector<std::vector<double>> w, b;
  void zero_like(const Params& p);
};

// Per-vertex batch state of one evaluation.
struct State {
  int B = 0;
  std::vector<std::vector<double>> v, z, vhat, eps;
  std::vector<std::vector<double>> in_grad;  // inputs only: ∂L/∂v_input (BP) or −Σ Jᵀε (PC)
  double loss = 0;                           // summed over the batch, at the forward pass
  std::vector<double> out_fwd;               // output prediction of the forward pass (B × size)
};

// Forward sweep only: fills v = vhat, z for all vertices. inputs: one B × size array per input vertex.
void forward(const Graph& g, const Params& p, int B, const std::vector<const double*>& inputs, State& s);

// Exact reverse-mode backprop. Fills s (forward values) and grads (summed over the batch).
// State.eps holds −∂L/∂v for every vertex, for comparison with PC.
void backprop(const Graph& g, const Params& p, int B, const std::vector<const double*>& inputs, const double* target,
              State& s, Grads& grads);

// Predictive coding: forward sweep, output error, cfg.steps relaxation steps, then the local weight
// gradients at the final state, returned as loss gradients (= −(∂v̂/∂θ)ᵀε summed over the batch) so
// both engines feed the same optimiser.
void pc_learn(const Graph& g, const Params& p, const PcConfig& cfg, int B, const std::vector<const double*>& inputs,
              const double* target, State& s, Grads& grads);

enum class OptKind { Sgd, Adam };
bool parse_opt(const std::string& s, OptKind& out);

struct OptConfig {
  OptKind kind = OptKind::Adam;
  double lr = 1e-3;
  double momentum = 0.0;                          // SGD
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam (Kingma & Ba 2015 defaults)
  double weight_decay = 0.0;
};

class Optimizer {
 public:
  Optimizer(const OptConfig& c, const Params& p);
  // p ← step(p, grads / scale)
  void step(Params& p, const Grads& grads, double scale);
  void set_lr(double lr) { c_.lr = lr; }

 private:
  OptConfig c_;
  int64_t t_ = 0;
  Grads m_, v_;
};

}  // namespace pcgrid
