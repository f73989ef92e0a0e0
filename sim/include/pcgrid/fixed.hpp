// The fixed-point specification of pcgrid (docs/fixed-point.md): one numeric definition, executed
// bit-identically by the functional engine (sim/src/functional.cpp), the SystemC grid (sim/src/grid.cpp)
// and, later, the RTL. Every function here is a pure function of its integer arguments; the engines call
// them in the order fixed by SliceKernel (kernel.hpp), never in an order that depends on timing.
//
// Formats (two's complement; Qm.f = m integer bits incl. sign, f fraction bits):
//   value / prediction / received PRED payload   int16  Q5.11   (range [-16, 16), LSB 2^-11 ≈ 4.9e-4)
//   error ε, δ = f'(a)·ε, ERR payload            int16  Q3.13   (range [-4, 4),   LSB 2^-13 ≈ 1.2e-4)
//   weight, bias                                 int16  Q3.13
//   MAC accumulator                              int32, saturating on every addition
// Rounding: round-half-up (add 2^(s-1), arithmetic shift right by s) everywhere except the weight step,
// which rounds stochastically with bits from the slice's xorshift32 generator (Marsaglia 2003).
// Saturation: every narrowing to int16 / int32 clamps to the type's range.
#pragma once

#include <cstdint>

namespace pcgrid::fx {

constexpr int kValueFrac = 11;   // Q5.11
constexpr int kErrorFrac = 13;   // Q3.13
constexpr int kWeightFrac = 13;  // Q3.13
constexpr int32_t kOneValue = 1 << kValueFrac;
constexpr int32_t kOneError = 1 << kErrorFrac;

inline int16_t sat16(int64_t x) { return int16_t(x > INT16_MAX ? INT16_MAX : x < INT16_MIN ? INT16_MIN : x); }
inline int32_t sat32(int64_t x) { return int32_t(x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : x); }
// Saturating MAC step: acc + a·b, clamped to int32.
inline int32_t mac(int32_t acc, int32_t a, int32_t b) { return sat32(int64_t(acc) + int64_t(a) * int64_t(b)); }
// Round half up, then arithmetic shift right by s (s ≥ 0).
inline int64_t rshift_round(int64_t x, int s) { return s == 0 ? x : (x + (int64_t(1) << (s - 1))) >> s; }
// Stochastic rounding: floor((x + r mod 2^s) / 2^s); unbiased for uniform r.
inline int64_t rshift_stochastic(int64_t x, int s, uint32_t r) {
  if (s == 0) return x;
  const int64_t mask = s >= 32 ? int64_t(0xffffffff) : (int64_t(1) << s) - 1;
  return (x + (int64_t(r) & mask)) >> s;
}

// xorshift32 (Marsaglia 2003, shifts 13, 17, 5): a linear generator over GF(2), a few XORs in hardware.
inline uint32_t xorshift32(uint32_t& s) {
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return s;
}
// Seed of slice `slice` for run seed `seed`: lowbias32 hash (Wellons) of both; never 0.
uint32_t slice_seed(uint64_t seed, int slice);

// Input pixel 0..255 → value 0..1 in Q5.11, rounded to nearest.
inline int16_t pixel_value(uint8_t p) { return int16_t((int32_t(p) * 4096 + 255) / 510); }

// Activations on a Q5.11 pre-activation; derivatives applied to an error: δ = f'(a)·ε in Q3.13.
enum class FxAct : uint8_t { Identity, Relu, LeakyRelu, HardTanh, Tanh, Sigmoid };
struct ActParams {
  FxAct kind = FxAct::Identity;
  int16_t alpha_q15 = 328;  // leaky slope in Q1.15 (0.01 → 328)
};
int16_t act_forward(const ActParams& a, int16_t pre);
int16_t act_delta(const ActParams& a, int16_t pre, int16_t out, int16_t eps);

// Softmax cross-entropy output error ε = onehot − softmax(v̂) in Q3.13 for n outputs (v̂ in Q5.11).
// exp through a 257-entry table of e^x on [-16, 0] (Q0.16, linear interpolation), one integer division per
// output. Writes n errors.
void softmax_ce_error(const int16_t* vhat, int n, int label, int16_t* eps);
// Table entries (for the RTL ROMs and docs): tanh and sigmoid on [-8, 8] step 1/16 in Q5.11, e^x on [-16, 0]
// step 1/16 in Q0.16.
const int32_t* tanh_table();
const int32_t* sigmoid_table();
const int32_t* exp_table();
constexpr int kTableSize = 257;

}  // namespace pcgrid::fx
