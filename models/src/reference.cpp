// Reference engines in double precision: forward sweep, exact backprop, predictive coding, optimisers.
#include "pcgrid/reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace pcgrid {

// ---- random numbers ---------------------------------------------------------------------------------
namespace {
uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) s = splitmix(seed);
}
uint64_t Rng::next() {  // xoshiro256** (Blackman & Vigna 2018)
  const uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return r;
}
double Rng::uniform() { return double(next() >> 11) * 0x1.0p-53; }
double Rng::normal() {
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}
uint64_t Rng::below(uint64_t n) {
  const uint64_t lim = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = next();
  while (x >= lim);
  return x % n;
}

// ---- parameters -------------------------------------------------------------------------------------
size_t Params::count() const {
  size_t n = 0;
  for (auto& x : w) n += x.size();
  for (auto& x : b) n += x.size();
  return n;
}

bool parse_init(const std::string& s, Init& out) {
  if (s == "xavier") return out = Init::Xavier, true;
  if (s == "he") return out = Init::He, true;
  if (s == "normal") return out = Init::Normal, true;
  return false;
}

Params init_params(const Graph& g, Init scheme, uint64_t seed, double normal_std) {
  Params p;
  p.w.resize(g.size());
  p.b.resize(g.size());
  Rng rng(seed);
  for (size_t i = 0; i < g.size(); ++i) {
    if (g.param_owner(i) != i) continue;
    const Shape ws = g.weight_shape(i);
    const int64_t fan_out = ws[0] * (ws.size() == 4 ? ws[2] * ws[3] : 1);
    const int64_t fan_in = shape_size(ws) / ws[0];
    p.w[i].resize(size_t(shape_size(ws)));
    p.b[i].assign(size_t(g.bias_size(i)), 0.0);
    for (auto& x : p.w[i]) {
      switch (scheme) {
        case Init::Xavier: {
          const double a = std::sqrt(6.0 / double(fan_in + fan_out));
          x = (2 * rng.uniform() - 1) * a;
          break;
        }
        case Init::He: x = rng.normal() * std::sqrt(2.0 / double(fan_in)); break;
        case Init::Normal: x = rng.normal() * normal_std; break;
      }
    }
  }
  return p;
}

void Grads::zero_like(const Params& p) {
  w.resize(p.w.size());
  b.resize(p.b.size());
  for (size_t i = 0; i < p.w.size(); ++i) w[i].assign(p.w[i].size(), 0.0);
  for (size_t i = 0; i < p.b.size(); ++i) b[i].assign(p.b[i].size(), 0.0);
}

// ---- engines ----------------------------------------------------------------------------------------
namespace {

void alloc(const Graph& g, int B, State& s) {
  s.B = B;
  for (auto* a : {&s.v, &s.z, &s.vhat, &s.eps}) {
    a->resize(g.size());
    for (size_t i = 0; i < g.size(); ++i) (*a)[i].assign(size_t(g.size_of(i) * B), 0.0);
  }
  s.in_grad.assign(g.size(), {});
  for (size_t i : g.inputs()) s.in_grad[i].assign(size_t(g.size_of(i) * B), 0.0);
}

std::vector<const double*> parent_ptrs(const Graph& g, size_t i, const std::vector<std::vector<double>>& vals) {
  std::vector<const double*> r;
  for (size_t q : g.parents(i)) r.push_back(vals[q].data());
  return r;
}

// Computes z and v̂ of every non-input vertex from the values `vals` of its parents.
void predict_all(const Graph& g, const Params& p, int B, const std::vector<std::vector<double>>& vals, State& s) {
  for (size_t i : g.topo())
    if (g.v(i).op != OpKind::Input)
      vertex_forward(g, p, i, B, parent_ptrs(g, i, vals), s.z[i].data(), s.vhat[i].data());
}

void set_inputs(const Graph& g, int B, const std::vector<const double*>& inputs, State& s) {
  for (size_t k = 0; k < g.inputs().size(); ++k) {
    size_t i = g.inputs()[k];
    std::memcpy(s.v[i].data(), inputs[k], sizeof(double) * g.size_of(i) * B);
    s.vhat[i] = s.v[i];
    s.z[i] = s.v[i];
  }
}

// b[i] = Σ_children (∂v̂_j/∂v_i)ᵀ e_j, with Jacobians at parent values `vals` and pre-activations `z`.
// When grads is given, also accumulates the parameter part (∂v̂_j/∂θ_j)ᵀ e_j.
void project(const Graph& g, const Params& p, int B, const std::vector<std::vector<double>>& vals,
             const std::vector<std::vector<double>>& z, const std::vector<std::vector<double>>& e,
             std::vector<std::vector<double>>& back, Grads* grads) {
  for (size_t i = 0; i < g.size(); ++i) std::fill(back[i].begin(), back[i].end(), 0.0);
  for (size_t j : g.topo()) {
    if (g.v(j).op == OpKind::Input) continue;
    std::vector<double*> gp;
    // Inputs are clamped: their drive is only needed once, with the weight step.
    for (size_t q : g.parents(j)) gp.push_back(g.v(q).op == OpKind::Input && !grads ? nullptr : back[q].data());
    const size_t o = g.param_owner(j);
    double* gw = grads && o != Graph::npos ? grads->w[o].data() : nullptr;
    double* gb = grads && o != Graph::npos && !grads->b[o].empty() ? grads->b[o].data() : nullptr;
    vertex_vjp(g, p, j, B, parent_ptrs(g, j, vals), z[j].data(), e[j].data(), gp, gw, gb);
  }
}

}  // namespace

void forward(const Graph& g, const Params& p, int B, const std::vector<const double*>& inputs, State& s) {
  alloc(g, B, s);
  set_inputs(g, B, inputs, s);
  for (size_t i : g.topo()) {
    if (g.v(i).op == OpKind::Input) continue;
    vertex_forward(g, p, i, B, parent_ptrs(g, i, s.v), s.z[i].data(), s.vhat[i].data());
    s.v[i] = s.vhat[i];
  }
  s.out_fwd = s.vhat[g.output()];
}

void backprop(const Graph& g, const Params& p, int B, const std::vector<const double*>& inputs, const double* target,
              State& s, Grads& grads) {
  forward(g, p, B, inputs, s);
  grads.zero_like(p);
  const size_t out = g.output();
  s.loss = output_error(g.v(out).loss, B, g.size_of(out), s.vhat[out].data(), target, s.eps[out].data());
  // Reverse sweep on "−gradient" (= ε at PC equilibrium): eps[i] = −∂L/∂v_i.
  std::vector<std::vector<double>> back(g.size());
  for (size_t i = 0; i < g.size(); ++i) back[i].assign(s.eps[i].size(), 0.0);
  const auto& topo = g.topo();
  for (auto it = topo.rbegin(); it != topo.rend(); ++it) {
    const size_t j = *it;
    if (j != out) s.eps[j] = back[j];
    if (g.v(j).op == OpKind::Input) continue;
    std::vector<double*> gp;
    for (size_t q : g.parents(j)) gp.push_back(back[q].data());
    const size_t o = g.param_owner(j);
    double* gw = o != Graph::npos ? grads.w[o].data() : nullptr;
    double* gb = o != Graph::npos && !grads.b[o].empty() ? grads.b[o].data() : nullptr;
    vertex_vjp(g, p, j, B, parent_ptrs(g, j, s.v), s.z[j].data(), s.eps[j].data(), gp, gw, gb);
  }
  for (size_t i : g.inputs())
    for (size_t e = 0; e < s.in_grad[i].size(); ++e) s.in_grad[i][e] = -s.eps[i][e];
  // The sweep ran on −∂L/∂v; loss gradients are the negatives.
  for (auto& w : grads.w)
    for (auto& x : w) x = -x;
  for (auto& b : grads.b)
    for (auto& x : b) x = -x;
}

void pc_learn(const Graph& g, const Params& p, const PcConfig& cfg, int B, const std::vector<const double*>& inputs,
              const double* target, State& s, Grads& grads) {
  forward(g, p, B, inputs, s);
  const size_t out = g.output();
  const Loss loss = g.v(out).loss;
  const int64_t nout = g.size_of(out);
  s.loss = output_error(loss, B, nout, s.vhat[out].data(), target, s.eps[out].data());
  const double beta = cfg.beta;
  auto nudge = [&] {
    if (beta != 1.0)
      for (auto& e : s.eps[out]) e *= beta;
  };
  nudge();
  const bool fixed = cfg.mode == PcMode::FixedPrediction;
  // Forward-sweep snapshot: under the fixed-prediction assumption predictions and Jacobians stay here.
  const std::vector<std::vector<double>> v_fwd = fixed ? s.v : std::vector<std::vector<double>>{};
  const std::vector<std::vector<double>> z_fwd = fixed ? s.z : std::vector<std::vector<double>>{};
  std::vector<std::vector<double>> back(g.size());
  for (size_t i = 0; i < g.size(); ++i) back[i].assign(s.v[i].size(), 0.0);
  // Per-element inference rates (PcConfig::precondition), one row shared by the batch.
  std::vector<std::vector<double>> rate(g.size());
  for (size_t i = 0; i < g.size(); ++i) rate[i].assign(size_t(g.size_of(i)), cfg.precondition ? 1.0 : cfg.eta_v);
  if (cfg.precondition) {
    for (size_t j = 0; j < g.size(); ++j) {
      const Vertex& vj = g.v(j);
      if (vj.op == OpKind::Input) continue;
      const auto& ps = g.parents(j);
      if (vj.op == OpKind::Dense) {
        const int64_t n = g.size_of(j), m = g.size_of(ps[0]);
        const double* W = p.w[g.param_owner(j)].data();
        for (int64_t r = 0; r < n; ++r)
          for (int64_t c = 0; c < m; ++c) rate[ps[0]][size_t(c)] += W[r * m + c] * W[r * m + c];
      } else if (vj.op == OpKind::Conv2d) {
        const Shape& in = g.v(ps[0]).shape;
        const int64_t co = vj.channels, ci = in[0], kk = vj.kernel * vj.kernel, hw = in[1] * in[2];
        const double* K = p.w[g.param_owner(j)].data();
        for (int64_t d = 0; d < ci; ++d) {
          double sum = 0;
          for (int64_t c = 0; c < co; ++c)
            for (int64_t k = 0; k < kk; ++k) sum += K[(c * ci + d) * kk + k] * K[(c * ci + d) * kk + k];
          for (int64_t e = 0; e < hw; ++e) rate[ps[0]][size_t(d * hw + e)] += sum;
        }
      } else {
        for (size_t q : ps)
          for (auto& x : rate[q]) x += 1.0;
      }
    }
    for (auto& r : rate)
      for (auto& x : r) x = cfg.eta_v / x;
  }

  for (int t = 0;; ++t) {
    // Errors at the current values.
    if (!fixed) predict_all(g, p, B, s.v, s);
    for (size_t i = 0; i < g.size(); ++i) {
      if (g.v(i).op == OpKind::Input || i == out) continue;
      for (size_t e = 0; e < s.v[i].size(); ++e) s.eps[i][e] = s.v[i][e] - s.vhat[i][e];
    }
    if (!fixed) {
      output_error(loss, B, nout, s.vhat[out].data(), target, s.eps[out].data());
      nudge();
    }
    if (t == cfg.steps) break;
    project(g, p, B, fixed ? v_fwd : s.v, fixed ? z_fwd : s.z, s.eps, back, nullptr);
    for (size_t i = 0; i < g.size(); ++i) {
      if (g.v(i).op == OpKind::Input || i == out) continue;
      double* v = s.v[i].data();
      const double* e = s.eps[i].data();
      const double* bk = back[i].data();
      const double* eta = rate[i].data();
      const size_t n = rate[i].size();
      for (size_t k = 0; k < s.v[i].size(); ++k) v[k] -= eta[k % n] * (e[k] - bk[k]);
    }
  }
  // Local weight step at the final state, and the drive on the (clamped) inputs.
  grads.zero_like(p);
  project(g, p, B, fixed ? v_fwd : s.v, fixed ? z_fwd : s.z, s.eps, back, &grads);
  for (size_t i : g.inputs())
    for (size_t e = 0; e < s.in_grad[i].size(); ++e) s.in_grad[i][e] = -back[i][e] / beta;
  for (auto& w : grads.w)
    for (auto& x : w) x = -x / beta;
  for (auto& b : grads.b)
    for (auto& x : b) x = -x / beta;
  if (loss == Loss::Mse)  // the output value is clamped to the target: v_out = v̂_out + ε_out
    for (size_t e = 0; e < s.v[out].size(); ++e) s.v[out][e] = s.vhat[out][e] + s.eps[out][e];
}

// ---- optimisers -------------------------------------------------------------------------------------
bool parse_opt(const std::string& s, OptKind& out) {
  if (s == "sgd") return out = OptKind::Sgd, true;
  if (s == "adam") return out = OptKind::Adam, true;
  return false;
}

Optimizer::Optimizer(const OptConfig& c, const Params& p) : c_(c) {
  m_.zero_like(p);
  v_.zero_like(p);
}

void Optimizer::step(Params& p, const Grads& gr, double scale) {
  ++t_;
  const double bc1 = 1 - std::pow(c_.beta1, double(t_)), bc2 = 1 - std::pow(c_.beta2, double(t_));
  auto upd = [&](std::vector<double>& th, const std::vector<double>& g, std::vector<double>& m,
                 std::vector<double>& v) {
    for (size_t k = 0; k < th.size(); ++k) {
      const double gk = g[k] * scale + c_.weight_decay * th[k];
      if (c_.kind == OptKind::Sgd) {
        m[k] = c_.momentum * m[k] + gk;
        th[k] -= c_.lr * m[k];
      } else {
        m[k] = c_.beta1 * m[k] + (1 - c_.beta1) * gk;
        v[k] = c_.beta2 * v[k] + (1 - c_.beta2) * gk * gk;
        th[k] -= c_.lr * (m[k] / bc1) / (std::sqrt(v[k] / bc2) + c_.eps);
      }
    }
  };
  for (size_t i = 0; i < p.w.size(); ++i) {
    upd(p.w[i], gr.w[i], m_.w[i], v_.w[i]);
    upd(p.b[i], gr.b[i], m_.b[i], v_.b[i]);
  }
}

}  // namespace pcgrid
