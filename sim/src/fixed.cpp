// Fixed-point specification (fixed.hpp, docs/fixed-point.md).
#include "pcgrid/fixed.hpp"

#include <array>
#include <cmath>

namespace pcgrid::fx {

uint32_t slice_seed(uint64_t seed, int slice) {
  auto lowbias32 = [](uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
  };
  uint32_t h = lowbias32(uint32_t(seed) ^ 0x9e3779b9U);
  h = lowbias32(h ^ uint32_t(seed >> 32));
  h = lowbias32(h ^ uint32_t(slice + 1) * 0x85ebca6bU);
  return h == 0 ? 0x6d2b79f5U : h;
}

namespace {

// Tables are generated once from the C library's tanh/exp and rounded to nearest; the RTL gets the same
// integers as ROM contents (they are part of the specification, not their generating formula).
struct Tables {
  std::array<int32_t, kTableSize> tanh_t{}, sig_t{}, exp_t{};
  Tables() {
    for (int k = 0; k < kTableSize; ++k) {
      const double x = -8.0 + k / 16.0;
      tanh_t[size_t(k)] = int32_t(std::lround(std::tanh(x) * kOneValue));
      sig_t[size_t(k)] = int32_t(std::lround(1.0 / (1.0 + std::exp(-x)) * kOneValue));
      const double e = -16.0 + k / 16.0;
      exp_t[size_t(k)] = int32_t(std::lround(std::exp(e) * 65536.0));
    }
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}

// Table lookup on [-8, 8] (Q5.11 input, step 1/16 = 128 LSB), linear interpolation, clamped at the ends.
int16_t lookup(const std::array<int32_t, kTableSize>& t, int16_t pre) {
  const int32_t u = int32_t(pre) + 8 * kOneValue;  // 0 .. 32768 covers [-8, 8]
  if (u <= 0) return int16_t(t[0]);
  if (u >= 256 * 128) return int16_t(t[256]);
  const int32_t i = u >> 7, f = u & 127;
  return sat16(t[size_t(i)] + rshift_round(int64_t(t[size_t(i) + 1] - t[size_t(i)]) * f, 7));
}

}  // namespace

const int32_t* tanh_table() { return tables().tanh_t.data(); }
const int32_t* sigmoid_table() { return tables().sig_t.data(); }
const int32_t* exp_table() { return tables().exp_t.data(); }

int16_t act_forward(const ActParams& a, int16_t pre) {
  switch (a.kind) {
    case FxAct::Identity: return pre;
    case FxAct::Relu: return pre > 0 ? pre : int16_t(0);
    case FxAct::LeakyRelu: return pre >= 0 ? pre : sat16(rshift_round(int64_t(pre) * a.alpha_q15, 15));
    case FxAct::HardTanh: return pre > kOneValue ? int16_t(kOneValue) : pre < -kOneValue ? int16_t(-kOneValue) : pre;
    case FxAct::Tanh: return lookup(tables().tanh_t, pre);
    case FxAct::Sigmoid: return lookup(tables().sig_t, pre);
  }
  return pre;
}

int16_t act_delta(const ActParams& a, int16_t pre, int16_t out, int16_t eps) {
  switch (a.kind) {
    case FxAct::Identity: return eps;
    case FxAct::Relu: return pre > 0 ? eps : int16_t(0);
    case FxAct::LeakyRelu: return pre >= 0 ? eps : sat16(rshift_round(int64_t(eps) * a.alpha_q15, 15));
    case FxAct::HardTanh: return (pre > -kOneValue && pre < kOneValue) ? eps : int16_t(0);
    case FxAct::Tanh: {  // 1 − y², y in Q5.11 → Q3.13
      const int64_t d = int64_t(kOneError) - rshift_round(int64_t(out) * out, 2 * kValueFrac - kErrorFrac);
      return sat16(rshift_round(d * eps, kErrorFrac));
    }
    case FxAct::Sigmoid: {  // y(1 − y)
      const int64_t d = rshift_round(int64_t(out) * (kOneValue - out), 2 * kValueFrac - kErrorFrac);
      return sat16(rshift_round(d * eps, kErrorFrac));
    }
  }
  return eps;
}

void softmax_ce_error(const int16_t* vhat, int n, int label, int16_t* eps) {
  const auto& t = tables().exp_t;
  int16_t m = vhat[0];
  for (int k = 1; k < n; ++k) m = vhat[k] > m ? vhat[k] : m;
  // e^(v̂_k − m), argument ≤ 0 in Q5.11 (as int32); table step 1/16 = 128 LSB over [-16, 0].
  int64_t sum = 0;
  int32_t ex[1024];
  const int cap = n < 1024 ? n : 1024;
  for (int k = 0; k < cap; ++k) {
    const int32_t u = int32_t(vhat[k]) - m + 16 * kOneValue;  // 0 .. 32768
    int32_t e;
    if (u <= 0)
      e = 0;
    else {
      const int32_t i = u >> 7, f = u & 127;
      e = i >= 256 ? t[256] : int32_t(t[size_t(i)] + rshift_round(int64_t(t[size_t(i) + 1] - t[size_t(i)]) * f, 7));
    }
    ex[k] = e;
    sum += e;
  }
  for (int k = 0; k < cap; ++k) {
    // p_k = e_k / sum in Q3.13, rounded to nearest (sum ≥ 65536: the maximum's own term is e^0).
    const int64_t p = (int64_t(ex[k]) * kOneError * 2 + sum) / (2 * sum);
    eps[k] = sat16((k == label ? kOneError : 0) - p);
  }
}

}  // namespace pcgrid::fx
