// Slice kernels and the message plan (kernel.hpp).
#include "pcgrid/kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace pcgrid {

namespace {

int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

fx::ActParams fx_act(const Vertex& v, const std::string& who) {
  fx::ActParams a;
  switch (v.act) {
    case Act::Identity: a.kind = fx::FxAct::Identity; break;
    case Act::Relu: a.kind = fx::FxAct::Relu; break;
    case Act::LeakyRelu:
      a.kind = fx::FxAct::LeakyRelu;
      if (!(v.act_alpha >= 0 && v.act_alpha < 1))
        throw SimError(fmt::format(
            "{}: leaky_relu slope {} is outside [0, 1) (the fixed-point engines hold it in Q1.15)", who, v.act_alpha));
      // a slope within 2^-16 of 1 rounds to 2^15, one past Q1.15's largest value: held at 32767
      a.alpha_q15 = int16_t(std::min(32767L, std::lround(v.act_alpha * 32768.0)));
      break;
    case Act::HardTanh: a.kind = fx::FxAct::HardTanh; break;
    case Act::Tanh: a.kind = fx::FxAct::Tanh; break;
    case Act::Sigmoid: a.kind = fx::FxAct::Sigmoid; break;
    default:
      throw SimError(
          fmt::format("{}: activation '{}' is not in the fixed-point specification (supported: identity, "
                      "relu, leaky_relu, hard_tanh, tanh, sigmoid)",
                      who, to_string(v.act)));
  }
  return a;
}

}  // namespace

int16_t quantize_weight(double w) { return fx::sat16(std::llround(w * fx::kOneError)); }

Plan make_plan(const Mapping& m) {
  const Graph& g = m.graph;
  Plan plan;
  std::vector<std::vector<int>> of_vertex(g.size());
  for (const Slice& s : m.slices) {
    const std::string who = fmt::format("vertex '{}'", g.v(s.vertices.front()).name);
    if (s.vertices.size() != 1)
      throw SimError(
          fmt::format("{}: shares parameters with another vertex; the fixed-point engines do not support "
                      "shared parameters yet (the reference engines do)",
                      who));
    const size_t v = s.vertices.front();
    const Vertex& vx = g.v(v);
    switch (vx.op) {
      case OpKind::Conv2d:
        throw SimError(
            fmt::format("{}: conv2d is not supported by the fixed-point engines yet (the reference "
                        "engines support it)",
                        who));
      case OpKind::Add:
      case OpKind::Mul:
        for (Act a : vx.parent_acts)
          if (a != Act::Identity)
            throw SimError(
                fmt::format("{}: per-parent functions ('parent_activations') are not supported by the "
                            "fixed-point engines",
                            who));
        if (vx.op == OpKind::Mul && g.parents(v).size() != 2)
          throw SimError(fmt::format("{}: the fixed-point engines support mul of exactly 2 parents, got {}", who,
                                     g.parents(v).size()));
        break;
      case OpKind::Dense:
        if (g.parents(v).size() != 1)
          throw SimError(fmt::format("{}: the fixed-point engines support dense with one parent, got {}", who,
                                     g.parents(v).size()));
        break;
      default: break;
    }
    if (vx.op != OpKind::Input) fx_act(vx, who);  // validates the activation
    if (s.is_output) {
      if (s.elem_lo != 0 || s.elem_hi != g.size_of(v))
        throw SimError(
            fmt::format("{}: the output vertex is split over several cores; its loss needs all {} outputs "
                        "on one core (use more neuron_slots per core)",
                        who, g.size_of(v)));
      if (g.size_of(v) > 1024)
        throw SimError(
            fmt::format("{}: the fixed-point output supports at most 1024 outputs, got {}", who, g.size_of(v)));
    }
    SlicePlan sp;
    sp.id = s.id;
    sp.vertex = v;
    sp.e_lo = s.elem_lo;
    sp.e_hi = s.elem_hi;
    sp.is_input = s.is_input;
    sp.is_output = s.is_output;
    sp.core = m.arch.id(m.arch.at(m.core_of[size_t(s.id)]));
    if (vx.op == OpKind::Dense) sp.fan_in = g.size_of(g.parents(v)[0]);
    plan.slices.push_back(sp);
    of_vertex[v].push_back(s.id);
  }
  // Links: one message per (parent slice, slice, parent slot) part, as the mapper counts them.
  for (SlicePlan& sp : plan.slices) {
    const size_t v = sp.vertex;
    if (sp.is_input) {
      sp.pred_in.push_back({kHost, {{0, sp.e_lo, sp.e_hi}}, sp.e_hi - sp.e_lo});
      continue;
    }
    const auto& ps = g.parents(v);
    sp.need_lo.assign(ps.size(), 0);
    sp.need_hi.assign(ps.size(), 0);
    for (size_t slot = 0; slot < ps.size(); ++slot) {
      const auto [lo, hi] = needed_parent_range(g, v, slot, sp.e_lo, sp.e_hi);
      sp.need_lo[slot] = lo;
      sp.need_hi[slot] = std::max(lo, hi);
      if (lo >= hi) continue;
      for (int src : of_vertex[ps[slot]]) {
        SlicePlan& pp = plan.slices[size_t(src)];
        const int64_t a = std::max(lo, pp.e_lo), b = std::min(hi, pp.e_hi);
        if (a >= b) continue;
        const Part part{int(slot), a, b};
        sp.pred_in.push_back({src, {part}, b - a});
        pp.pred_out.push_back({sp.id, {part}, b - a});
        if (!pp.is_input) {
          sp.err_out.push_back({src, {part}, b - a});
          pp.err_in.push_back({sp.id, {part}, b - a});
        }
      }
    }
  }
  for (SlicePlan& sp : plan.slices)
    if (sp.is_output) sp.pred_out.push_back({kHost, {{0, sp.e_lo, sp.e_hi}}, sp.e_hi - sp.e_lo});
  // Forward order and the default number of relaxation steps (longest path to the output over non-input
  // vertices: with shift_v = 0 each step carries the errors one vertex further).
  std::vector<int> depth(g.size(), 0);
  const auto& topo = g.topo();
  for (auto it = topo.rbegin(); it != topo.rend(); ++it)
    for (size_t c : g.children(*it)) depth[*it] = std::max(depth[*it], depth[c] + 1);
  plan.default_steps = 1;
  for (size_t v : topo) {
    if (g.v(v).op != OpKind::Input) plan.default_steps = std::max(plan.default_steps, depth[v]);
    for (int s : of_vertex[v]) plan.order.push_back(s);
  }
  return plan;
}

SliceKernel::SliceKernel(const Graph& g, const SlicePlan& p, const std::vector<double>& w, const std::vector<double>& b,
                         uint64_t seed)
    : g_(&g), p_(&p), op_(g.v(p.vertex).op) {
  const Vertex& vx = g.v(p.vertex);
  if (op_ != OpKind::Input) act_ = fx_act(vx, vx.name);
  const int64_t n = p.e_hi - p.e_lo;
  pre_.assign(size_t(n), 0);
  vhat_.assign(size_t(n), 0);
  eps_.assign(size_t(n), 0);
  esum_.assign(size_t(n), 0);
  const auto& ps = g.parents(p.vertex);
  x_.resize(ps.size());
  for (size_t k = 0; k < ps.size(); ++k) x_[k].assign(size_t(p.need_hi[k] - p.need_lo[k]), 0);
  if (op_ == OpKind::Concat) {
    int64_t off = 0;
    for (size_t k = 0; k < ps.size(); ++k) {
      concat_off_.push_back(off);
      off += g.size_of(ps[k]);
    }
  }
  if (op_ == OpKind::Dense) {
    W_.resize(size_t(n * p.fan_in));
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < p.fan_in; ++j)
        W_[size_t(r * p.fan_in + j)] = quantize_weight(w[size_t((p.e_lo + r) * p.fan_in + j)]);
    b_.assign(size_t(n), 0);
    if (!b.empty())
      for (int64_t r = 0; r < n; ++r) b_[size_t(r)] = quantize_weight(b[size_t(p.e_lo + r)]);
  }
  rng_ = fx::slice_seed(seed, p.id);
}

void SliceKernel::receive_pred(const Link& l, const int16_t* payload) {
  for (const Part& pt : l.parts) {
    if (op_ == OpKind::Input) {
      std::copy(payload, payload + (pt.hi - pt.lo), vhat_.begin() + (pt.lo - p_->e_lo));
    } else {
      auto& x = x_[size_t(pt.slot)];
      std::copy(payload, payload + (pt.hi - pt.lo), x.begin() + (pt.lo - p_->need_lo[size_t(pt.slot)]));
    }
    payload += pt.hi - pt.lo;
  }
}

int64_t SliceKernel::forward(int lanes, Counters& c) {
  const int64_t n = p_->e_hi - p_->e_lo;
  for (auto& v : err_cache_) v.clear();  // a new sample: new activations
  delta_stale_ = true;
  if (op_ == OpKind::Input) return 0;  // the host's values are the predictions
  int64_t ops = n;
  switch (op_) {
    case OpKind::Dense: {
      const int64_t m = p_->fan_in;
      const int16_t* x = x_[0].data();
      for (int64_t r = 0; r < n; ++r) {
        int32_t acc = int32_t(b_[size_t(r)]) * (1 << fx::kValueFrac);  // bias Q3.13 → Q.24
        const int16_t* wr = &W_[size_t(r * m)];
        for (int64_t j = 0; j < m; ++j) acc = fx::mac(acc, wr[j], x[j]);
        pre_[size_t(r)] = fx::sat16(fx::rshift_round(acc, fx::kWeightFrac));
      }
      ops = n * m;
      c.macs += n * m;
      c.sram_reads += n * (m + 1);
      break;
    }
    case OpKind::Add:
      for (int64_t e = 0; e < n; ++e) {
        int64_t s = 0;
        for (const auto& x : x_) s += x[size_t(e)];
        pre_[size_t(e)] = fx::sat16(s);
      }
      break;
    case OpKind::Mul:
      for (int64_t e = 0; e < n; ++e)
        pre_[size_t(e)] = fx::sat16(fx::rshift_round(int64_t(x_[0][size_t(e)]) * x_[1][size_t(e)], fx::kValueFrac));
      c.macs += n;
      break;
    case OpKind::Concat:
      for (int64_t e = 0; e < n; ++e) {
        const int64_t ge = p_->e_lo + e;
        size_t k = concat_off_.size() - 1;
        while (concat_off_[k] > ge) --k;
        pre_[size_t(e)] = x_[k][size_t(ge - concat_off_[k] - p_->need_lo[k])];
      }
      break;
    default:  // activation, slice: one parent, same-length range
      for (int64_t e = 0; e < n; ++e) pre_[size_t(e)] = x_[0][size_t(e)];
      break;
  }
  for (int64_t e = 0; e < n; ++e) {
    vhat_[size_t(e)] = fx::act_forward(act_, pre_[size_t(e)]);
    eps_[size_t(e)] = 0;  // forward sweep: v = v̂
  }
  c.reg_accesses += 2 * n;
  return kPhaseCycles + cdiv(ops, lanes);
}

void SliceKernel::pred_payload(const Link& l, std::vector<int16_t>& out) const {
  out.clear();
  for (const Part& pt : l.parts)
    out.insert(out.end(), vhat_.begin() + (pt.lo - p_->e_lo), vhat_.begin() + (pt.hi - p_->e_lo));
}

int64_t SliceKernel::output_error(int label, int lanes, Counters& c) {
  delta_stale_ = true;
  const int64_t n = p_->e_hi - p_->e_lo;
  const Loss loss = g_->v(p_->vertex).loss;
  if (loss == Loss::SoftmaxCe) {
    fx::softmax_ce_error(vhat_.data(), int(n), label, eps_.data());
    c.reg_accesses += 2 * n;
    return kPhaseCycles + cdiv(2 * n, lanes) + n * kDivCycles;
  }
  // MSE: the output is clamped to the one-hot target, ε = t − v̂ (Q5.11 → Q3.13).
  for (int64_t e = 0; e < n; ++e) {
    const int64_t t = e == label ? fx::kOneValue : 0;
    eps_[size_t(e)] = fx::sat16((t - vhat_[size_t(e)]) * (1 << (fx::kErrorFrac - fx::kValueFrac)));
  }
  c.reg_accesses += 2 * n;
  return kPhaseCycles + cdiv(n, lanes);
}

void SliceKernel::begin_step() { std::fill(esum_.begin(), esum_.end(), 0); }

int16_t SliceKernel::delta(int64_t e) const {
  return fx::act_delta(act_, pre_[size_t(e)], vhat_[size_t(e)], eps_[size_t(e)]);
}

int64_t SliceKernel::err_payload(const Link& l, int lanes, Counters& c, std::vector<int16_t>& out) const {
  out.clear();
  const int64_t n = p_->e_hi - p_->e_lo;
  int64_t ops = 0;
  std::vector<int16_t> d(static_cast<size_t>(n));
  bool any = false;
  for (int64_t e = 0; e < n; ++e) any |= (d[size_t(e)] = delta(e)) != 0;
  // δ = f'(a)·ε is computed once after ε changes (forward, output error, relax) and reused by every link.
  const int64_t dcost = delta_stale_ ? n : 0;
  if (delta_stale_) c.reg_accesses += 2 * n;
  delta_stale_ = false;
  if (!any) {  // zero skipping: all δ are 0 (e.g. hidden errors before the output's error arrives)
    for (const Part& pt : l.parts) out.insert(out.end(), size_t(pt.hi - pt.lo), int16_t(0));
    return kPhaseCycles + cdiv(dcost, lanes);
  }
  // Unchanged δ since this link's last projection in this sample (e.g. the clamped output's errors in
  // every relaxation step): the payload is the same, re-send it without the MACs.
  const size_t li = size_t(&l - p_->err_out.data());
  const bool own = li < p_->err_out.size();
  if (own && li < err_cache_.size() && !err_cache_[li].empty() && d == last_delta_[li]) {
    out = err_cache_[li];
    return kPhaseCycles + cdiv(dcost, lanes);
  }
  for (const Part& pt : l.parts) {
    const int64_t len = pt.hi - pt.lo;
    switch (op_) {
      case OpKind::Dense: {
        const int64_t m = p_->fan_in;
        for (int64_t j = pt.lo; j < pt.hi; ++j) {
          int32_t acc = 0;
          for (int64_t r = 0; r < n; ++r) acc = fx::mac(acc, W_[size_t(r * m + j)], d[size_t(r)]);
          out.push_back(fx::sat16(fx::rshift_round(acc, fx::kWeightFrac)));
        }
        ops += n * len;
        c.macs += n * len;
        c.sram_reads += n * len;
        break;
      }
      case OpKind::Mul: {
        const auto& other = x_[size_t(1 - pt.slot)];
        for (int64_t j = pt.lo; j < pt.hi; ++j) {
          const int64_t e = j - p_->e_lo;
          out.push_back(fx::sat16(fx::rshift_round(int64_t(d[size_t(e)]) * other[size_t(e)], fx::kValueFrac)));
        }
        ops += len;
        c.macs += len;
        break;
      }
      case OpKind::Concat:
        for (int64_t j = pt.lo; j < pt.hi; ++j) out.push_back(d[size_t(j + concat_off_[size_t(pt.slot)] - p_->e_lo)]);
        ops += len;
        break;
      case OpKind::Slice:
        for (int64_t j = pt.lo; j < pt.hi; ++j) out.push_back(d[size_t(j - g_->v(p_->vertex).offset - p_->e_lo)]);
        ops += len;
        break;
      default:  // add, activation: identity Jacobian on the same range
        for (int64_t j = pt.lo; j < pt.hi; ++j) out.push_back(d[size_t(j - p_->e_lo)]);
        ops += len;
        break;
    }
  }
  if (own) {
    if (err_cache_.size() < p_->err_out.size()) {
      err_cache_.resize(p_->err_out.size());
      last_delta_.resize(p_->err_out.size());
    }
    err_cache_[li] = out;
    last_delta_[li] = d;
  }
  return kPhaseCycles + cdiv(ops + dcost, lanes);
}

void SliceKernel::receive_err(const Link& l, const int16_t* payload) {
  for (const Part& pt : l.parts)
    for (int64_t j = pt.lo; j < pt.hi; ++j) esum_[size_t(j - p_->e_lo)] += *payload++;
}

int64_t SliceKernel::relax(int shift_v, int lanes, Counters& c) {
  delta_stale_ = true;
  const int64_t n = p_->e_hi - p_->e_lo;
  for (int64_t e = 0; e < n; ++e) {
    const int64_t eps = eps_[size_t(e)];
    const int64_t back = fx::sat16(esum_[size_t(e)]);
    eps_[size_t(e)] = fx::sat16(eps - fx::rshift_round(eps - back, shift_v));
  }
  c.reg_accesses += 3 * n;
  return kPhaseCycles + cdiv(n, lanes);
}

int64_t SliceKernel::update(int shift_lr, int lanes, Counters& c) {
  for (auto& v : err_cache_) v.clear();  // new weights
  if (op_ != OpKind::Dense) return 0;
  const int64_t n = p_->e_hi - p_->e_lo, m = p_->fan_in;
  const int16_t* x = x_[0].data();
  const int s_w = fx::kErrorFrac + fx::kValueFrac - fx::kWeightFrac + shift_lr;  // Q.24 → Q.13 and the rate
  const int s_b = fx::kErrorFrac - fx::kWeightFrac + shift_lr;
  for (int64_t r = 0; r < n; ++r) {
    const int64_t d = delta(r);
    int16_t* wr = &W_[size_t(r * m)];
    for (int64_t j = 0; j < m; ++j)
      wr[j] = fx::sat16(wr[j] + fx::rshift_stochastic(d * x[j], s_w, fx::xorshift32(rng_)));
    b_[size_t(r)] = fx::sat16(b_[size_t(r)] + fx::rshift_stochastic(d, s_b, fx::xorshift32(rng_)));
  }
  c.macs += n * m;
  c.sram_reads += n * (m + 1);
  c.sram_writes += n * (m + 1);
  c.reg_accesses += 2 * n;
  apply_stuck();
  return kPhaseCycles + kUpdatePipeline + cdiv(n * (m + 1), lanes);
}

void SliceKernel::add_stuck(int64_t index, int bit, int value) {
  stuck_.push_back({index, bit, value});
  apply_stuck();
}

void SliceKernel::apply_stuck() {
  for (const Stuck& s : stuck_) {
    int16_t& w = s.index < int64_t(W_.size()) ? W_[size_t(s.index)] : b_[size_t(s.index - int64_t(W_.size()))];
    const uint16_t m = uint16_t(1u << s.bit);
    w = int16_t(s.value ? (uint16_t(w) | m) : (uint16_t(w) & uint16_t(~m)));
  }
}

void SliceKernel::flip(int64_t index, int bit) {
  int16_t& w = index < int64_t(W_.size()) ? W_[size_t(index)] : b_[size_t(index - int64_t(W_.size()))];
  w = int16_t(uint16_t(w) ^ uint16_t(1u << bit));
}

}  // namespace pcgrid
