// Per-vertex forward and vector-Jacobian kernels in double precision.
//
// Loops are written as "axpy" updates over contiguous rows so that the compiler vectorises them without
// reassociating floating-point sums (results do not depend on -ffast-math or the vector width).
#include "pcgrid/reference.hpp"

#include <cmath>
#include <cstring>

namespace pcgrid {

namespace {

inline void axpy(int64_t n, double a, const double* __restrict x, double* __restrict y) {
  for (int64_t k = 0; k < n; ++k) y[k] += a * x[k];
}

double act_f(Act a, double z, double alpha) {
  switch (a) {
    case Act::Identity: return z;
    case Act::Relu: return z > 0 ? z : 0;
    case Act::LeakyRelu: return z > 0 ? z : alpha * z;
    case Act::Tanh: return std::tanh(z);
    case Act::Sigmoid: return 1.0 / (1.0 + std::exp(-z));
    case Act::HardTanh: return z > 1 ? 1 : (z < -1 ? -1 : z);
    case Act::Sin: return std::sin(z);
    case Act::Tan: return std::tan(z);
    case Act::Sqrt: return std::sqrt(z);
    case Act::Square: return z * z;
  }
  return z;
}

double act_df(Act a, double z, double alpha) {
  switch (a) {
    case Act::Identity: return 1;
    case Act::Relu: return z > 0 ? 1 : 0;
    case Act::LeakyRelu: return z > 0 ? 1 : alpha;
    case Act::Tanh: {
      double t = std::tanh(z);
      return 1 - t * t;
    }
    case Act::Sigmoid: {
      double s = 1.0 / (1.0 + std::exp(-z));
      return s * (1 - s);
    }
    case Act::HardTanh: return (z > -1 && z < 1) ? 1 : 0;
    case Act::Sin: return std::cos(z);
    case Act::Tan: {
      double c = std::cos(z);
      return 1.0 / (c * c);
    }
    case Act::Sqrt: return 0.5 / std::sqrt(z);
    case Act::Square: return 2 * z;
  }
  return 1;
}

// Conv2d geometry of vertex i.
struct ConvGeo {
  int64_t ci, hi, wi, co, ho, wo, k, s, p;
};
ConvGeo conv_geo(const Graph& g, size_t i) {
  const Vertex& v = g.v(i);
  const Shape& in = g.v(g.parents(i)[0]).shape;
  return {in[0], in[1], in[2], v.channels, v.shape[1], v.shape[2], v.kernel, v.stride, v.padding};
}

}  // namespace

uint64_t& mac_count() {
  thread_local uint64_t n = 0;
  return n;
}

void vertex_forward(const Graph& g, const Params& p, size_t i, int B, const std::vector<const double*>& par, double* z,
                    double* vhat) {
  const Vertex& v = g.v(i);
  const int64_t n = g.size_of(i);
  const size_t o = g.param_owner(i);
  switch (v.op) {
    case OpKind::Input: std::memcpy(z, par[0], sizeof(double) * n * B); break;
    case OpKind::Dense: {
      const int64_t m = g.size_of(g.parents(i)[0]);
      const double* W = p.w[o].data();  // [n × m]
      mac_count() += uint64_t(B * n * m);
      thread_local std::vector<double> Wt;  // reused: a fresh multi-MB buffer per call costs page faults
      Wt.resize(size_t(m * n));
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c = 0; c < m; ++c) Wt[c * n + r] = W[r * m + c];
      for (int b = 0; b < B; ++b) {
        double* zb = z + b * n;
        if (v.bias)
          std::memcpy(zb, p.b[o].data(), sizeof(double) * n);
        else
          std::memset(zb, 0, sizeof(double) * n);
        const double* xb = par[0] + b * m;
        for (int64_t c = 0; c < m; ++c)
          if (xb[c] != 0) axpy(n, xb[c], &Wt[c * n], zb);
      }
      break;
    }
    case OpKind::Conv2d: {
      const ConvGeo q = conv_geo(g, i);
      const double* K = p.w[o].data();
      mac_count() += uint64_t(B * n * q.ci * q.k * q.k);
      for (int b = 0; b < B; ++b) {
        const double* x = par[0] + b * q.ci * q.hi * q.wi;
        double* zb = z + b * n;
        for (int64_t c = 0; c < q.co; ++c)
          for (int64_t t = 0; t < q.ho * q.wo; ++t) zb[c * q.ho * q.wo + t] = v.bias ? p.b[o][c] : 0.0;
        for (int64_t c = 0; c < q.co; ++c)
          for (int64_t d = 0; d < q.ci; ++d)
            for (int64_t ky = 0; ky < q.k; ++ky)
              for (int64_t kx = 0; kx < q.k; ++kx) {
                const double wv = K[((c * q.ci + d) * q.k + ky) * q.k + kx];
                for (int64_t y = 0; y < q.ho; ++y) {
                  const int64_t iy = y * q.s + ky - q.p;
                  if (iy < 0 || iy >= q.hi) continue;
                  double* zr = zb + (c * q.ho + y) * q.wo;
                  const double* xr = x + (d * q.hi + iy) * q.wi;
                  for (int64_t xo = 0; xo < q.wo; ++xo) {
                    const int64_t ix = xo * q.s + kx - q.p;
                    if (ix >= 0 && ix < q.wi) zr[xo] += wv * xr[ix];
                  }
                }
              }
      }
      break;
    }
    case OpKind::Activation: std::memcpy(z, par[0], sizeof(double) * n * B); break;
    case OpKind::Add:
    case OpKind::Mul:
      if (v.parent_acts.empty()) {
        std::memcpy(z, par[0], sizeof(double) * n * B);
        for (size_t k = 1; k < par.size(); ++k) {
          if (v.op == OpKind::Add)
            axpy(n * B, 1.0, par[k], z);
          else
            for (int64_t e = 0; e < n * B; ++e) z[e] *= par[k][e];
        }
      } else {
        for (int64_t e = 0; e < n * B; ++e) {
          double acc = act_f(v.parent_acts[0], par[0][e], v.act_alpha);
          for (size_t k = 1; k < par.size(); ++k) {
            const double t = act_f(v.parent_acts[k], par[k][e], v.act_alpha);
            acc = v.op == OpKind::Add ? acc + t : acc * t;
          }
          z[e] = acc;
        }
      }
      break;
    case OpKind::Concat:
      for (int b = 0; b < B; ++b) {
        int64_t off = 0;
        for (size_t k = 0; k < par.size(); ++k) {
          const int64_t m = g.size_of(g.parents(i)[k]);
          std::memcpy(z + b * n + off, par[k] + b * m, sizeof(double) * m);
          off += m;
        }
      }
      break;
    case OpKind::Slice: {
      const int64_t m = g.size_of(g.parents(i)[0]);
      for (int b = 0; b < B; ++b) std::memcpy(z + b * n, par[0] + b * m + v.offset, sizeof(double) * n);
      break;
    }
  }
  if (v.act == Act::Identity) {
    if (vhat != z) std::memcpy(vhat, z, sizeof(double) * n * B);
  } else {
    for (int64_t e = 0; e < n * B; ++e) vhat[e] = act_f(v.act, z[e], v.act_alpha);
  }
}

void vertex_vjp(const Graph& g, const Params& p, size_t i, int B, const std::vector<const double*>& par,
                const double* z, const double* gy, const std::vector<double*>& gpar, double* gw, double* gb) {
  const Vertex& v = g.v(i);
  const int64_t n = g.size_of(i);
  const size_t o = g.param_owner(i);
  // gz = gy ⊙ act'(z)
  thread_local std::vector<double> gzbuf;
  const double* gz = gy;
  if (v.act != Act::Identity) {
    gzbuf.resize(size_t(n * B));
    for (int64_t e = 0; e < n * B; ++e) gzbuf[e] = gy[e] * act_df(v.act, z[e], v.act_alpha);
    gz = gzbuf.data();
  }
  switch (v.op) {
    case OpKind::Input: break;
    case OpKind::Dense: {
      const int64_t m = g.size_of(g.parents(i)[0]);
      const double* W = p.w[o].data();
      mac_count() += uint64_t(B * n * m) * (uint64_t(gpar[0] != nullptr) + uint64_t(gw != nullptr));
      for (int b = 0; b < B; ++b) {
        const double* gzb = gz + b * n;
        const double* xb = par[0] + b * m;
        for (int64_t r = 0; r < n; ++r) {
          const double e = gzb[r];
          if (e == 0) continue;
          if (gpar[0]) axpy(m, e, W + r * m, gpar[0] + b * m);
          if (gw) axpy(m, e, xb, gw + r * m);
          if (gb && v.bias) gb[r] += e;
        }
      }
      break;
    }
    case OpKind::Conv2d: {
      const ConvGeo q = conv_geo(g, i);
      const double* K = p.w[o].data();
      mac_count() += uint64_t(B * n * q.ci * q.k * q.k) * (uint64_t(gpar[0] != nullptr) + uint64_t(gw != nullptr));
      for (int b = 0; b < B; ++b) {
        const double* x = par[0] + b * q.ci * q.hi * q.wi;
        double* gx = gpar[0] ? gpar[0] + b * q.ci * q.hi * q.wi : nullptr;
        const double* gzb = gz + b * n;
        if (gb && v.bias)
          for (int64_t c = 0; c < q.co; ++c)
            for (int64_t t = 0; t < q.ho * q.wo; ++t) gb[c] += gzb[c * q.ho * q.wo + t];
        for (int64_t c = 0; c < q.co; ++c)
          for (int64_t d = 0; d < q.ci; ++d)
            for (int64_t ky = 0; ky < q.k; ++ky)
              for (int64_t kx = 0; kx < q.k; ++kx) {
                const size_t widx = size_t(((c * q.ci + d) * q.k + ky) * q.k + kx);
                const double wv = K[widx];
                double acc = 0;
                for (int64_t y = 0; y < q.ho; ++y) {
                  const int64_t iy = y * q.s + ky - q.p;
                  if (iy < 0 || iy >= q.hi) continue;
                  const double* gr = gzb + (c * q.ho + y) * q.wo;
                  const double* xr = x + (d * q.hi + iy) * q.wi;
                  double* gxr = gx ? gx + (d * q.hi + iy) * q.wi : nullptr;
                  for (int64_t xo = 0; xo < q.wo; ++xo) {
                    const int64_t ix = xo * q.s + kx - q.p;
                    if (ix < 0 || ix >= q.wi) continue;
                    acc += gr[xo] * xr[ix];
                    if (gxr) gxr[ix] += wv * gr[xo];
                  }
                }
                if (gw) gw[widx] += acc;
              }
      }
      break;
    }
    case OpKind::Activation:
      if (gpar[0]) axpy(n * B, 1.0, gz, gpar[0]);
      break;
    case OpKind::Add:
      for (size_t k = 0; k < par.size(); ++k) {
        if (!gpar[k]) continue;
        if (v.parent_acts.empty() || v.parent_acts[k] == Act::Identity)
          axpy(n * B, 1.0, gz, gpar[k]);
        else
          for (int64_t e = 0; e < n * B; ++e) gpar[k][e] += gz[e] * act_df(v.parent_acts[k], par[k][e], v.act_alpha);
      }
      break;
    case OpKind::Mul: {
      const bool pa = !v.parent_acts.empty();
      for (size_t k = 0; k < par.size(); ++k) {
        if (!gpar[k]) continue;
        for (int64_t e = 0; e < n * B; ++e) {
          double prod = gz[e] * (pa ? act_df(v.parent_acts[k], par[k][e], v.act_alpha) : 1.0);
          for (size_t m = 0; m < par.size(); ++m)
            if (m != k) prod *= pa ? act_f(v.parent_acts[m], par[m][e], v.act_alpha) : par[m][e];
          gpar[k][e] += prod;
        }
      }
      break;
    }
    case OpKind::Concat:
      for (int b = 0; b < B; ++b) {
        int64_t off = 0;
        for (size_t k = 0; k < par.size(); ++k) {
          const int64_t m = g.size_of(g.parents(i)[k]);
          if (gpar[k]) axpy(m, 1.0, gz + b * n + off, gpar[k] + b * m);
          off += m;
        }
      }
      break;
    case OpKind::Slice: {
      const int64_t m = g.size_of(g.parents(i)[0]);
      if (gpar[0])
        for (int b = 0; b < B; ++b) axpy(n, 1.0, gz + b * n, gpar[0] + b * m + v.offset);
      break;
    }
  }
}

double output_error(Loss loss, int B, int64_t n, const double* vhat, const double* target, double* eps) {
  double L = 0;
  for (int b = 0; b < B; ++b) {
    const double* y = vhat + b * n;
    const double* t = target + b * n;
    double* e = eps + b * n;
    if (loss == Loss::SoftmaxCe) {
      double mx = y[0];
      for (int64_t k = 1; k < n; ++k) mx = std::max(mx, y[k]);
      double s = 0;
      for (int64_t k = 0; k < n; ++k) s += std::exp(y[k] - mx);
      const double lse = mx + std::log(s);
      for (int64_t k = 0; k < n; ++k) {
        const double pk = std::exp(y[k] - lse);
        e[k] = t[k] - pk;
        L -= t[k] * (y[k] - lse);
      }
    } else {
      for (int64_t k = 0; k < n; ++k) {
        e[k] = t[k] - y[k];
        L += 0.5 * e[k] * e[k];
      }
    }
  }
  return L;
}

}  // namespace pcgrid
