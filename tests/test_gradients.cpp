// Gradient tests of the reference engines on random computation graphs.
//
// A deterministic generator (pcgrid::Rng) builds random DAGs that use every op (input 1-D and [c,h,w],
// dense with and without bias, conv2d with stride and padding, activation, add with 2-3 parents, mul,
// both with and without parent activations, concat of 1-D and 3-D tensors, slice, dense and conv
// parameter sharing), with branches and merges, and every activation. sqrt and tan are only applied where
// they are defined and tame: sqrt only to values known to lie in (0, 1) (after sigmoid / sqrt), tan only
// to values known to lie in [-1, 1] (after tanh, sin, hard_tanh, sigmoid, ...), so tan' ≤ 1/cos²(1) ≈ 3.4.
// Every vertex reaches the single output, whose loss alternates between mse and softmax_ce.
//
// Checks:
//   0. the generator is deterministic and its graphs exercise every op, activation and feature above;
//   1. backprop against central finite differences (every weight, bias and input value);
//   2. fixed-prediction PC equals backprop (weights, biases, errors, input gradients);
//   3. standard PC tends to backprop as the output nudge β shrinks, and its end state is consistent and
//      stationary (recomputed from the per-vertex kernels);
//   4. a negative control: fixed-prediction PC with too few relaxation steps must not match.
// Kernel bugs show up in (1); (2)-(4) compare the engines with each other, which share the kernels.
//
// Set PCGRID_TEST_VERBOSE=1 to print the worst errors seen by each test case.
#include "pcgrid/graph.hpp"
#include "pcgrid/reference.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace pcgrid;

namespace {

bool verbose() { return std::getenv("PCGRID_TEST_VERBOSE") != nullptr; }

// ---- value ranges, for placing sqrt and tan safely ----------------------------------------------------
// Any: unbounded; Bounded: |x| ≤ 1; Pos: 0 < x < 1 (sigmoid outputs and what keeps them there).
enum class Range { Any, Bounded, Pos };

Range range_after(Act a, Range z) {
  switch (a) {
    case Act::Identity:
    case Act::Relu:
    case Act::LeakyRelu: return z;
    case Act::Tanh:
    case Act::Sin:
    case Act::HardTanh: return Range::Bounded;
    case Act::Sigmoid:
    case Act::Sqrt: return Range::Pos;  // sqrt is only ever applied to Pos values
    case Act::Tan: return Range::Any;
    case Act::Square: return z == Range::Any ? Range::Any : Range::Bounded;  // may get close to 0
  }
  return Range::Any;
}

Range worst(Range a, Range b) {
  if (a == Range::Any || b == Range::Any) return Range::Any;
  if (a == Range::Bounded || b == Range::Bounded) return Range::Bounded;
  return Range::Pos;
}

bool is_kinky(Act a) { return a == Act::Relu || a == Act::LeakyRelu || a == Act::HardTanh; }

// Distance of z from the activation's kink (infinity for smooth activations).
double kink_dist(Act a, double z) {
  if (a == Act::Relu || a == Act::LeakyRelu) return std::abs(z);
  if (a == Act::HardTanh) return std::min(std::abs(z - 1), std::abs(z + 1));
  return HUGE_VAL;
}

// ---- random graph generator ---------------------------------------------------------------------------
class GraphGen {
 public:
  // tame: keep every Jacobian bounded (no square of unbounded values, mul only of bounded factors, no
  // sqrt), for the standard-PC relaxation test (see there).
  explicit GraphGen(uint64_t seed, bool tame = false) : rng_(seed), tame_(tame) {}

  Graph make(Loss loss) {
    // inputs: one or two 1-D inputs and usually a [c,h,w] input
    input({between(2, 8)});
    if (chance(0.3)) input({between(1, 6)});
    if (chance(0.65)) {
      static const Shape k3d[] = {{2, 5, 5}, {1, 4, 4}, {2, 4, 4}, {1, 5, 5}};
      input(k3d[rng_.below(4)]);
    }
    const int inner = int(between(3, 8));
    for (int k = 0; k < inner; ++k) {
      bool ok = false;
      for (int attempt = 0; attempt < 50 && !ok; ++attempt) {
        const double r = u();
        if (r < 0.22)
          ok = dense();
        else if (r < 0.36)
          ok = conv();
        else if (r < 0.50)
          ok = activation();
        else if (r < 0.64)
          ok = add_mul(OpKind::Add);
        else if (r < 0.78)
          ok = add_mul(OpKind::Mul);
        else if (r < 0.89)
          ok = concat();
        else
          ok = slice();
      }
    }
    finish(loss);
    Graph g;
    for (auto& v : vs_) g.add(v);
    g.finalize("random graph");
    for (size_t i = 0; i < vs_.size(); ++i)
      if (g.v(i).shape != vs_[i].shape) throw std::logic_error("generator shape mismatch at " + vs_[i].name);
    return g;
  }

 private:
  double u() { return rng_.uniform(); }
  bool chance(double p) { return u() < p; }
  int64_t between(int64_t lo, int64_t hi) { return lo + int64_t(rng_.below(uint64_t(hi - lo + 1))); }
  template <class T>
  const T& pick(const std::vector<T>& c) {
    return c[rng_.below(c.size())];
  }

  Act pick_act(Range z) {
    if (z == Range::Pos && !tame_ && chance(0.5)) return Act::Sqrt;
    if (z != Range::Any && chance(0.3)) return Act::Tan;
    // sigmoid twice: its outputs are where sqrt may go
    static const std::vector<Act> k = {Act::Identity, Act::Relu,     Act::LeakyRelu, Act::Tanh,  Act::Sigmoid,
                                       Act::Sigmoid,  Act::HardTanh, Act::Sin,       Act::Square};
    for (;;) {
      const Act a = pick(k);
      if (!(tame_ && z == Range::Any && a == Act::Square)) return a;
    }
  }

  size_t push(Vertex v, Range r) {
    const size_t id = vs_.size();
    v.name = "v" + std::to_string(id);
    v.where = "vertices[" + std::to_string(id) + "]";
    if (chance(0.3)) v.act_alpha = 0.2;
    for (const auto& p : v.parents) ++nchild_[std::stoul(p.substr(1))];
    vs_.push_back(std::move(v));
    range_.push_back(r);
    nchild_.push_back(0);
    return id;
  }
  const Shape& shape(size_t i) const { return vs_[i].shape; }
  int64_t size(size_t i) const { return shape_size(vs_[i].shape); }
  const std::string& name(size_t i) const { return vs_[i].name; }
  std::vector<size_t> all() const {
    std::vector<size_t> r(vs_.size());
    for (size_t i = 0; i < r.size(); ++i) r[i] = i;
    return r;
  }
  // Prefers vertices without children, so that branches get merged.
  size_t pick_parent(const std::vector<size_t>& c) {
    std::vector<size_t> unused;
    for (size_t i : c)
      if (!nchild_[i]) unused.push_back(i);
    return !unused.empty() && chance(0.6) ? pick(unused) : pick(c);
  }

  void input(Shape s) {
    Vertex v;
    v.op = OpKind::Input;
    v.shape = std::move(s);
    push(std::move(v), Range::Any);
  }

  size_t make_dense(size_t par, int64_t units, bool bias, Act act, const std::string& share = "") {
    Vertex v;
    v.op = OpKind::Dense;
    v.parents = {name(par)};
    v.units = units;
    v.bias = bias;
    v.act = act;
    v.share = share;
    v.shape = {units};
    return push(std::move(v), range_after(act, Range::Any));
  }

  bool dense() {
    if (chance(0.35)) {                             // tie to an existing dense owner with the same weight shape
      std::vector<std::pair<size_t, size_t>> opts;  // (owner, parent)
      for (size_t o = 0; o < vs_.size(); ++o) {
        if (vs_[o].op != OpKind::Dense || !vs_[o].share.empty()) continue;
        const int64_t m = size(std::stoul(vs_[o].parents[0].substr(1)));
        for (size_t q = 0; q < vs_.size(); ++q)
          if (size(q) == m) opts.push_back({o, q});
      }
      if (!opts.empty()) {
        const auto [o, q] = pick(opts);
        make_dense(q, vs_[o].units, vs_[o].bias, pick_act(Range::Any), name(o));
        return true;
      }
    }
    const size_t par = pick_parent(all());
    int64_t units = between(1, 8);
    if (chance(0.5)) {  // match an existing 1-D size so that add / mul find partners
      std::vector<int64_t> sizes;
      for (size_t i = 0; i < vs_.size(); ++i)
        if (shape(i).size() == 1 && size(i) <= 10) sizes.push_back(size(i));
      if (!sizes.empty()) units = pick(sizes);
    }
    make_dense(par, units, chance(0.7), pick_act(Range::Any));
    return true;
  }

  bool conv() {
    std::vector<size_t> c3;
    for (size_t i = 0; i < vs_.size(); ++i)
      if (shape(i).size() == 3) c3.push_back(i);
    if (c3.empty()) return false;
    const size_t par = pick_parent(c3);
    const Shape& s = shape(par);
    Vertex v;
    v.op = OpKind::Conv2d;
    v.parents = {name(par)};
    v.bias = chance(0.7);
    // optionally tie to an existing conv owner with the same input channel count
    std::vector<size_t> owners;
    for (size_t o = 0; o < vs_.size(); ++o)
      if (vs_[o].op == OpKind::Conv2d && vs_[o].share.empty() &&
          shape(std::stoul(vs_[o].parents[0].substr(1)))[0] == s[0])
        owners.push_back(o);
    const bool tie = !owners.empty() && chance(0.5);
    if (tie) {
      const size_t o = pick(owners);
      v.share = name(o);
      v.channels = vs_[o].channels;
      v.kernel = vs_[o].kernel;
      v.bias = vs_[o].bias;
    }
    // geometries of convs on inputs of this spatial size: reusing one gives equal output shapes, which add,
    // mul and 3-D concat need
    std::vector<size_t> same;
    for (size_t q = 0; q < vs_.size(); ++q)
      if (vs_[q].op == OpKind::Conv2d) {
        const Shape& t = shape(std::stoul(vs_[q].parents[0].substr(1)));
        if (t[1] == s[1] && t[2] == s[2] && (!tie || vs_[q].kernel == v.kernel)) same.push_back(q);
      }
    const bool reuse = !same.empty() && chance(0.5);
    const size_t model = reuse ? pick(same) : 0;
    for (int attempt = 0; attempt < 40; ++attempt) {
      const int64_t k = tie ? v.kernel : reuse ? vs_[model].kernel : between(1, 3);
      const int64_t st = reuse ? vs_[model].stride : between(1, 2), pd = reuse ? vs_[model].padding : between(0, 1);
      const int64_t co = tie ? v.channels : between(1, 3);
      if (s[1] + 2 * pd < k || s[2] + 2 * pd < k) continue;
      const int64_t ho = (s[1] + 2 * pd - k) / st + 1, wo = (s[2] + 2 * pd - k) / st + 1;
      if (co * ho * wo > 12) continue;
      v.kernel = k;
      v.stride = st;
      v.padding = pd;
      v.channels = co;
      v.shape = {co, ho, wo};
      v.act = pick_act(Range::Any);
      const Range r = range_after(v.act, Range::Any);
      push(std::move(v), r);
      return true;
    }
    return false;
  }

  bool activation() {
    std::vector<size_t> pos;  // sigmoid outputs and the like: the only place sqrt may go
    for (size_t i = 0; i < vs_.size(); ++i)
      if (range_[i] == Range::Pos) pos.push_back(i);
    const size_t par = !pos.empty() && chance(0.5) ? pick_parent(pos) : pick_parent(all());
    Vertex v;
    v.op = OpKind::Activation;
    v.parents = {name(par)};
    v.act = pick_act(range_[par]);
    v.shape = shape(par);
    const Range r = range_after(v.act, range_[par]);
    push(std::move(v), r);
    return true;
  }

  bool add_mul(OpKind op) {
    std::map<Shape, std::vector<size_t>> groups;
    for (size_t i = 0; i < vs_.size(); ++i) groups[shape(i)].push_back(i);
    std::vector<std::vector<size_t>> ok;
    for (auto& [s, m] : groups)
      if (m.size() >= 2) ok.push_back(m);
    std::vector<size_t> ps;
    if (ok.empty() || chance(0.05)) {  // rarely: the same vertex twice, x + x or x · x
      const size_t p = pick_parent(all());
      ps = {p, p};
    } else {
      std::vector<size_t> grp = pick(ok);
      const size_t k = op == OpKind::Add && grp.size() >= 3 && chance(0.5) ? 3 : 2;
      while (ps.size() < k) {
        const size_t p = pick_parent(grp);
        ps.push_back(p);
        grp.erase(std::find(grp.begin(), grp.end(), p));
      }
    }
    Vertex v;
    v.op = op;
    v.shape = shape(ps[0]);
    Range zr = Range::Pos;
    const bool pa = chance(0.5) || (tame_ && op == OpKind::Mul);
    for (size_t p : ps) {
      v.parents.push_back(name(p));
      Act a = Act::Identity;
      if (pa) {
        a = pick_act(range_[p]);
        if (tame_ && op == OpKind::Mul && range_after(a, range_[p]) == Range::Any && a != Act::Tan)
          a = pick(std::vector<Act>{Act::Tanh, Act::Sigmoid, Act::Sin, Act::HardTanh});
        v.parent_acts.push_back(a);
      }
      zr = worst(zr, range_after(a, range_[p]));
    }
    if (op == OpKind::Add) zr = Range::Any;                          // sums leave [-1, 1]
    if (op == OpKind::Mul && zr == Range::Pos) zr = Range::Bounded;  // products may get close to 0
    v.act = pick_act(zr);
    const Range r = range_after(v.act, zr);
    push(std::move(v), r);
    return true;
  }

  bool concat() {
    std::vector<size_t> ps;
    if (chance(0.4)) {  // 1-D
      std::vector<size_t> c1;
      for (size_t i = 0; i < vs_.size(); ++i)
        if (shape(i).size() == 1) c1.push_back(i);
      if (c1.size() < 2) return false;
      const size_t k = c1.size() >= 3 && chance(0.4) ? 3 : 2;
      int64_t tot = 0;
      for (int attempt = 0; attempt < 20 && ps.size() < k; ++attempt) {
        const size_t p = pick_parent(c1);
        if (std::find(ps.begin(), ps.end(), p) != ps.end() || tot + size(p) > 12) continue;
        ps.push_back(p);
        tot += size(p);
      }
    } else {  // 3-D, along channels
      std::map<std::pair<int64_t, int64_t>, std::vector<size_t>> groups;
      for (size_t i = 0; i < vs_.size(); ++i)
        if (shape(i).size() == 3) groups[{shape(i)[1], shape(i)[2]}].push_back(i);
      std::vector<std::vector<size_t>> ok;
      for (auto& [hw, m] : groups)
        if (m.size() >= 2) ok.push_back(m);
      if (ok.empty()) return false;
      std::vector<size_t> grp = pick(ok);
      for (int k = 0; k < 2; ++k) {
        const size_t p = pick_parent(grp);
        ps.push_back(p);
        grp.erase(std::find(grp.begin(), grp.end(), p));
      }
      if (size(ps[0]) + size(ps[1]) > 24) return false;
    }
    if (ps.size() < 2) return false;
    Vertex v;
    v.op = OpKind::Concat;
    v.shape = shape(ps[0]);
    v.shape[0] = 0;
    Range r = Range::Pos;
    for (size_t p : ps) {
      v.parents.push_back(name(p));
      v.shape[0] += shape(p)[0];
      r = worst(r, range_[p]);
    }
    if (chance(0.3)) {
      v.act = pick_act(r);
      r = range_after(v.act, r);
    }
    push(std::move(v), r);
    return true;
  }

  size_t make_slice(size_t par, int64_t maxlen) {
    Vertex v;
    v.op = OpKind::Slice;
    v.parents = {name(par)};
    const int64_t m = size(par);
    v.length = between(1, std::min(m, maxlen));
    v.offset = between(0, m - v.length);
    v.shape = {v.length};
    if (chance(0.3)) v.act = pick_act(range_[par]);
    const Range r = range_after(v.act, range_[par]);
    return push(std::move(v), r);
  }

  bool slice() {
    make_slice(pick_parent(all()), 8);
    return true;
  }

  // Merges every vertex without children into the single output vertex.
  void finish(Loss loss) {
    std::vector<size_t> flat;
    for (size_t i = 0, n = vs_.size(); i < n; ++i) {
      if (nchild_[i]) continue;
      if (shape(i).size() == 3)
        flat.push_back(chance(0.5) ? make_dense(i, between(2, 6), chance(0.7), pick_act(Range::Any))
                                   : make_slice(i, 10));
      else
        flat.push_back(i);
    }
    const bool any_params = std::any_of(
        vs_.begin(), vs_.end(), [](const Vertex& v) { return v.op == OpKind::Dense || v.op == OpKind::Conv2d; });
    const int64_t nout = between(2, 5);
    int64_t tot = 0;
    for (size_t f : flat) tot += size(f);
    Vertex out;
    if (flat.size() == 1 || (flat.size() <= 4 && tot <= 12 && chance(0.5))) {
      size_t x = flat[0];
      if (flat.size() > 1) {
        Vertex c;
        c.op = OpKind::Concat;
        c.shape = {tot};
        Range r = Range::Pos;
        for (size_t f : flat) {
          c.parents.push_back(name(f));
          r = worst(r, range_[f]);
        }
        x = push(std::move(c), r);
      }
      out.op = OpKind::Dense;
      out.parents = {name(x)};
      out.units = nout;
      out.bias = chance(0.7);
    } else {
      out.op = OpKind::Add;
      const bool pa = chance(0.3);
      for (size_t f : flat) {
        // (without any parameterised vertex so far, every branch gets a dense projection)
        const size_t x =
            any_params && size(f) == nout && chance(0.5) ? f : make_dense(f, nout, chance(0.7), pick_act(Range::Any));
        out.parents.push_back(name(x));
        if (pa) out.parent_acts.push_back(pick_act(range_[x]));
      }
    }
    out.shape = {nout};
    // smooth output activations: a relu output that is off for the whole batch would zero every gradient
    out.act = chance(0.3) ? pick(std::vector<Act>{Act::Tanh, Act::Sigmoid, Act::Sin}) : Act::Identity;
    out.loss = loss;
    push(std::move(out), Range::Any);
  }

  Rng rng_;
  bool tame_;
  std::vector<Vertex> vs_;
  std::vector<Range> range_;
  std::vector<int> nchild_;
};

// ---- coverage of the generated graphs -----------------------------------------------------------------
struct Coverage {
  std::set<OpKind> ops;
  std::set<Act> acts, parent_acts;
  std::map<std::string, int> features;

  void add(const Graph& g) {
    auto feat = [&](const char* f, bool on) {
      if (on) ++features[f];
    };
    for (size_t i = 0; i < g.size(); ++i) {
      const Vertex& v = g.v(i);
      ops.insert(v.op);
      acts.insert(v.act);
      for (Act a : v.parent_acts) parent_acts.insert(a);
      feat("1-D input", v.op == OpKind::Input && v.shape.size() == 1);
      feat("3-D input", v.op == OpKind::Input && v.shape.size() == 3);
      feat("dense with bias", v.op == OpKind::Dense && v.bias);
      feat("dense without bias", v.op == OpKind::Dense && !v.bias);
      feat("dense of a 3-D tensor", v.op == OpKind::Dense && g.v(g.parents(i)[0]).shape.size() == 3);
      feat("conv stride > 1", v.op == OpKind::Conv2d && v.stride > 1);
      feat("conv padding > 0", v.op == OpKind::Conv2d && v.padding > 0);
      feat("conv without bias", v.op == OpKind::Conv2d && !v.bias);
      feat("conv of a conv", v.op == OpKind::Conv2d && g.v(g.parents(i)[0]).op == OpKind::Conv2d);
      feat("shared dense", v.op == OpKind::Dense && !v.share.empty());
      feat("shared conv", v.op == OpKind::Conv2d && !v.share.empty());
      feat("add of 3 parents", v.op == OpKind::Add && g.parents(i).size() == 3);
      feat("add with parent_acts", v.op == OpKind::Add && !v.parent_acts.empty());
      feat("mul with parent_acts", v.op == OpKind::Mul && !v.parent_acts.empty());
      feat("mul without parent_acts", v.op == OpKind::Mul && v.parent_acts.empty());
      feat("3-D add or mul", (v.op == OpKind::Add || v.op == OpKind::Mul) && v.shape.size() == 3);
      feat("repeated parent", g.parents(i).size() == 2 && g.parents(i)[0] == g.parents(i)[1]);
      feat("1-D concat", v.op == OpKind::Concat && v.shape.size() == 1);
      feat("3-D concat", v.op == OpKind::Concat && v.shape.size() == 3);
      feat("slice of a 3-D tensor", v.op == OpKind::Slice && g.v(g.parents(i)[0]).shape.size() == 3);
      feat("branch (vertex with 2+ children)", g.children(i).size() >= 2);
      feat("2 inputs or more", i == 0 && g.inputs().size() >= 2);
      feat("mse loss", v.loss == Loss::Mse);
      feat("softmax_ce loss", v.loss == Loss::SoftmaxCe);
    }
  }

  // Names of whatever the graphs did not exercise ("" when complete).
  std::string missing() const {
    std::string m;
    for (OpKind k : {OpKind::Input, OpKind::Dense, OpKind::Conv2d, OpKind::Activation, OpKind::Add, OpKind::Mul,
                     OpKind::Concat, OpKind::Slice})
      if (!ops.count(k)) m += std::string(" op:") + to_string(k);
    for (Act a : {Act::Identity, Act::Relu, Act::LeakyRelu, Act::Tanh, Act::Sigmoid, Act::HardTanh, Act::Sin, Act::Tan,
                  Act::Sqrt, Act::Square}) {
      if (!acts.count(a)) m += std::string(" act:") + to_string(a);
      if (!parent_acts.count(a)) m += std::string(" parent_act:") + to_string(a);
    }
    for (const char* f : {"1-D input",
                          "3-D input",
                          "dense with bias",
                          "dense without bias",
                          "dense of a 3-D tensor",
                          "conv stride > 1",
                          "conv padding > 0",
                          "conv without bias",
                          "conv of a conv",
                          "shared dense",
                          "shared conv",
                          "add of 3 parents",
                          "add with parent_acts",
                          "mul with parent_acts",
                          "mul without parent_acts",
                          "3-D add or mul",
                          "repeated parent",
                          "1-D concat",
                          "3-D concat",
                          "slice of a 3-D tensor",
                          "branch (vertex with 2+ children)",
                          "2 inputs or more",
                          "mse loss",
                          "softmax_ce loss"})
      if (!features.count(f)) m += std::string(" [") + f + "]";
    return m;
  }
};

// ---- problems: graph, parameters, data ----------------------------------------------------------------
struct Problem {
  uint64_t seed = 0;
  Graph g;
  Params p;
  int B = 3;
  std::vector<std::vector<double>> x;  // one B × size array per input vertex
  std::vector<double> target;          // B × size(output)

  std::vector<const double*> inputs() const {
    std::vector<const double*> r;
    for (auto& a : x) r.push_back(a.data());
    return r;
  }
};

// tame: tame generator and Xavier weights halved (for the standard-PC test).
Problem make_problem(uint64_t seed, bool tame = false, int B = 3) {
  Problem pr;
  pr.seed = seed;
  pr.B = B;
  pr.g = GraphGen(seed, tame).make(seed % 2 ? Loss::SoftmaxCe : Loss::Mse);
  pr.p = init_params(pr.g, Init::Xavier, seed * 7919 + 13);
  if (tame)
    for (auto& w : pr.p.w)
      for (auto& x : w) x *= 0.5;
  // Xavier leaves biases at zero; give them small random values so that bias gradients and kink distances
  // are exercised away from the symmetric point.
  Rng rng(seed * 104729 + 7);
  for (auto& b : pr.p.b)
    for (auto& x : b) x = 0.2 * rng.normal();
  for (size_t i : pr.g.inputs()) {
    pr.x.emplace_back(size_t(pr.g.size_of(i) * B));
    for (auto& x : pr.x.back()) x = rng.normal();
  }
  const size_t out = pr.g.output();
  const int64_t n = pr.g.size_of(out);
  pr.target.assign(size_t(n * B), 0.0);
  for (int b = 0; b < B; ++b) {
    if (pr.g.v(out).loss == Loss::SoftmaxCe)
      pr.target[size_t(b * n) + rng.below(uint64_t(n))] = 1.0;  // one-hot
    else
      for (int64_t k = 0; k < n; ++k) pr.target[size_t(b * n + k)] = rng.normal();
  }
  return pr;
}

// Smallest distance of any pre-activation (vertex activations and parent activations) from a kink of
// relu / leaky_relu / hard_tanh. Values exactly on a kink only arise from an upstream clamp (relu output 0,
// hard_tanh output ±1, zero padding of a conv without bias) and are locally constant functions of the
// parameters and inputs, so they do not disturb finite differences: with exact = false they are ignored.
double kink_distance(const Graph& g, const State& s, bool exact = false) {
  double d = HUGE_VAL;
  auto upd = [&](Act a, const std::vector<double>& z) {
    if (!is_kinky(a)) return;
    for (double x : z) {
      const double k = kink_dist(a, x);
      if (k > 0 || exact) d = std::min(d, k);
    }
  };
  for (size_t i = 0; i < g.size(); ++i) {
    const Vertex& v = g.v(i);
    if (v.op == OpKind::Input) continue;
    upd(v.act, s.z[i]);
    for (size_t k = 0; k < v.parent_acts.size(); ++k) upd(v.parent_acts[k], s.v[g.parents(i)[k]]);
  }
  return d;
}

// Longest input → output path, in edges.
int depth(const Graph& g) {
  std::vector<int> d(g.size(), 0);
  for (size_t i : g.topo())
    for (size_t q : g.parents(i)) d[i] = std::max(d[i], d[q] + 1);
  return d[g.output()];
}

std::vector<double> flat(const Grads& gr) {
  std::vector<double> r;
  for (size_t i = 0; i < gr.w.size(); ++i) {
    r.insert(r.end(), gr.w[i].begin(), gr.w[i].end());
    r.insert(r.end(), gr.b[i].begin(), gr.b[i].end());
  }
  return r;
}

double norm(const std::vector<double>& a) {
  double s = 0;
  for (double x : a) s += x * x;
  return std::sqrt(s);
}

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  double ab = 0;
  for (size_t k = 0; k < a.size(); ++k) ab += a[k] * b[k];
  return ab / (norm(a) * norm(b));
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(a[k] - b[k]));
  return m;
}

double max_abs(const std::vector<std::vector<double>>& a) {
  double m = 0;
  for (auto& r : a)
    for (double x : r) m = std::max(m, std::abs(x));
  return m;
}

double loss_of(const Problem& pr, const Params& p, const std::vector<const double*>& in) {
  State s;
  forward(pr.g, p, pr.B, in, s);
  const size_t out = pr.g.output();
  std::vector<double> e(s.vhat[out].size());
  return output_error(pr.g.v(out).loss, pr.B, pr.g.size_of(out), s.vhat[out].data(), pr.target.data(), e.data());
}

// Independent check of a standard-PC end state, recomputed from the per-vertex kernels at the final values
// s.v (all relative to max|ε|, or to the gradient norm):
//   consistency   ε_i = v_i − v̂_i(v) for hidden vertices, ε_out = β·(−∂L/∂v̂_out) at the final v̂_out;
//   stationarity  ε_i − Σ_children (∂v̂_j/∂v_i)ᵀ ε_j = 0 for hidden vertices (relaxation has converged);
//   gradient      returned gradient = −(∂v̂/∂θ)ᵀ ε / β at the final state.
struct PcStateCheck {
  double consistency = 0, stationarity = 0, gradient = 0;
};

PcStateCheck check_pc_state(const Problem& pr, double beta, const State& s, const Grads& pg) {
  const Graph& g = pr.g;
  const int B = pr.B;
  const size_t out = g.output();
  std::vector<std::vector<double>> z(g.size()), vh(g.size()), back(g.size());
  Grads gr;
  gr.zero_like(pr.p);
  for (size_t i = 0; i < g.size(); ++i) {
    z[i].assign(s.v[i].size(), 0.0);
    vh[i].assign(s.v[i].size(), 0.0);
    back[i].assign(s.v[i].size(), 0.0);
  }
  const double escale = std::max(max_abs(s.eps), 1e-300);
  PcStateCheck r;
  for (size_t i : g.topo()) {
    if (g.v(i).op == OpKind::Input) continue;
    std::vector<const double*> par;
    std::vector<double*> gpar;
    for (size_t q : g.parents(i)) {
      par.push_back(s.v[q].data());
      gpar.push_back(back[q].data());
    }
    vertex_forward(g, pr.p, i, B, par, z[i].data(), vh[i].data());
    std::vector<double> want(s.v[i].size());
    if (i == out) {
      output_error(g.v(out).loss, B, g.size_of(out), vh[out].data(), pr.target.data(), want.data());
      for (auto& x : want) x *= beta;
    } else {
      for (size_t k = 0; k < want.size(); ++k) want[k] = s.v[i][k] - vh[i][k];
    }
    r.consistency = std::max(r.consistency, max_abs_diff(s.eps[i], want) / escale);
    const size_t o = g.param_owner(i);
    vertex_vjp(g, pr.p, i, B, par, z[i].data(), s.eps[i].data(), gpar, o == Graph::npos ? nullptr : gr.w[o].data(),
               o == Graph::npos || gr.b[o].empty() ? nullptr : gr.b[o].data());
  }
  for (size_t i = 0; i < g.size(); ++i)
    if (g.v(i).op != OpKind::Input && i != out)
      r.stationarity = std::max(r.stationarity, max_abs_diff(s.eps[i], back[i]) / escale);
  std::vector<double> want = flat(gr);
  for (auto& x : want) x = -x / beta;
  r.gradient = max_abs_diff(flat(pg), want) / std::max(norm(want), 1e-300);
  return r;
}

}  // namespace

TEST_CASE("random graph generator is deterministic and covers every op and activation", "[gradients]") {
  Coverage cov;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    const Problem a = make_problem(seed), b = make_problem(seed);
    REQUIRE(a.g.size() == b.g.size());
    for (size_t i = 0; i < a.g.size(); ++i) {
      CHECK(a.g.v(i).op == b.g.v(i).op);
      CHECK(a.g.v(i).parents == b.g.v(i).parents);
    }
    CHECK(flat(Grads{a.p.w, a.p.b}) == flat(Grads{b.p.w, b.p.b}));
    CHECK(a.x == b.x);
    cov.add(a.g);
  }
  INFO("not exercised by seeds 1..60:" << cov.missing());
  CHECK(cov.missing().empty());
}

TEST_CASE("backprop matches finite differences on random graphs", "[gradients]") {
  // Central differences, h = 1e-6, on every weight, bias and input value, with B = 3. Combined tolerance:
  // |fd − bp| ≤ 1e-5·|bp| + atol, atol = 1e-8·max(1, |L|, max|bp|) covering the rounding error of the
  // difference quotient (≈ ulp(L)/h ≈ 1e-10·|L|) and coordinates whose gradient is ~0.
  const double h = 1e-6, rtol = 1e-5;
  const int kGraphs = 40;
  Coverage cov;
  int tested = 0, skipped = 0;
  size_t checked = 0;
  double worst_err = 0, worst_rel = 0;
  for (uint64_t seed = 1001; tested < kGraphs; ++seed) {
    REQUIRE(seed < 1001 + 10 * kGraphs);
    Problem pr = make_problem(seed);
    const Graph& g = pr.g;
    State s;
    Grads bg;
    backprop(g, pr.p, pr.B, pr.inputs(), pr.target.data(), s, bg);
    if (kink_distance(g, s) < 1e-4) {  // a relu / hard_tanh pre-activation too close to its kink
      ++skipped;
      continue;
    }
    ++tested;
    cov.add(g);
    INFO("seed " << seed << "\n" << describe(g));
    const double gmax = std::max(max_abs(bg.w), std::max(max_abs(bg.b), max_abs(s.in_grad)));
    const double atol = 1e-8 * std::max({1.0, std::abs(s.loss), gmax});
    REQUIRE(std::isfinite(s.loss));
    auto check = [&](const char* what, size_t i, size_t k, double fd, double bp) {
      ++checked;
      const double err = std::abs(fd - bp) / (rtol * std::abs(bp) + atol);  // ≤ 1 passes
      worst_err = std::max(worst_err, err);
      if (std::abs(bp) > 1e-3 * gmax) worst_rel = std::max(worst_rel, std::abs(fd - bp) / std::abs(bp));
      if (err > 1) {
        INFO(what << " of vertex " << g.v(i).name << " [" << k << "]: finite difference " << fd << ", backprop " << bp
                  << ", loss " << s.loss);
        CHECK(err <= 1);
      }
    };
    Params p = pr.p;
    const auto in = pr.inputs();
    for (size_t i = 0; i < g.size(); ++i) {
      for (size_t k = 0; k < p.w[i].size(); ++k) {
        const double w0 = p.w[i][k];
        p.w[i][k] = w0 + h;
        const double lp = loss_of(pr, p, in);
        p.w[i][k] = w0 - h;
        const double lm = loss_of(pr, p, in);
        p.w[i][k] = w0;
        check("weight", i, k, (lp - lm) / (2 * h), bg.w[i][k]);
      }
      for (size_t k = 0; k < p.b[i].size(); ++k) {
        const double b0 = p.b[i][k];
        p.b[i][k] = b0 + h;
        const double lp = loss_of(pr, p, in);
        p.b[i][k] = b0 - h;
        const double lm = loss_of(pr, p, in);
        p.b[i][k] = b0;
        check("bias", i, k, (lp - lm) / (2 * h), bg.b[i][k]);
      }
    }
    for (size_t n = 0; n < g.inputs().size(); ++n) {
      const size_t i = g.inputs()[n];
      for (size_t k = 0; k < pr.x[n].size(); ++k) {
        const double x0 = pr.x[n][k];
        pr.x[n][k] = x0 + h;
        const double lp = loss_of(pr, p, in);
        pr.x[n][k] = x0 - h;
        const double lm = loss_of(pr, p, in);
        pr.x[n][k] = x0;
        check("input", i, k, (lp - lm) / (2 * h), s.in_grad[i][k]);
      }
    }
  }
  if (verbose())
    std::printf(
        "[gradients] finite differences: %d graphs (%d skipped near a kink), %zu coordinates, worst "
        "err/tol %.3g, worst relative error (|bp| > 1e-3 max) %.3g\n",
        tested, skipped, checked, worst_err, worst_rel);
  INFO("not exercised:" << cov.missing());
  CHECK(cov.missing().empty());
}

TEST_CASE("fixed-prediction PC weight gradients equal backprop", "[gradients]") {
  const int kGraphs = 100;
  Coverage cov;
  int used = 0, skipped = 0;
  double worst_cos1 = 1, worst_diff = 0, worst_eps = 0, worst_in = 0, worst_cos01 = 1;
  for (uint64_t seed = 2001; used < kGraphs; ++seed) {
    REQUIRE(seed < 2001 + 2 * kGraphs);
    const Problem pr = make_problem(seed);
    const Graph& g = pr.g;
    State bs;
    Grads bg;
    backprop(g, pr.p, pr.B, pr.inputs(), pr.target.data(), bs, bg);
    const std::vector<double> b = flat(bg);
    const double bn = norm(b);
    if (bn == 0) {  // every parameter behind dead relus / saturated hard_tanhs: nothing to compare
      ++skipped;
      continue;
    }
    ++used;
    cov.add(g);
    INFO("seed " << seed << "\n" << describe(g));

    // η_v = 1: under fixed predictions each step sets ε_i to the back-projection of the children's errors,
    // so after (depth) steps the errors are exact; #vertices + 2 steps is more than enough.
    PcConfig cfg;
    cfg.mode = PcMode::FixedPrediction;
    cfg.eta_v = 1.0;
    cfg.steps = int(g.size()) + 2;
    State s;
    Grads pg;
    pc_learn(g, pr.p, cfg, pr.B, pr.inputs(), pr.target.data(), s, pg);
    const std::vector<double> a = flat(pg);
    const double c = cosine(a, b), d = max_abs_diff(a, b) / bn;
    worst_cos1 = std::min(worst_cos1, c);
    worst_diff = std::max(worst_diff, d);
    CHECK(c > 0.999999);
    CHECK(d < 1e-9);
    // errors: ε_i = −∂L/∂v_i for every non-input vertex (the output's is the same by construction)
    const double escale = max_abs(bs.eps);
    for (size_t i = 0; i < g.size(); ++i) {
      if (g.v(i).op == OpKind::Input) continue;
      const double e = max_abs_diff(s.eps[i], bs.eps[i]) / escale;
      worst_eps = std::max(worst_eps, e);
      INFO("vertex " << g.v(i).name);
      CHECK(e < 1e-10);
    }
    const double iscale = std::max(max_abs(bs.in_grad), 1e-300);
    for (size_t i : g.inputs()) {
      const double e = max_abs_diff(s.in_grad[i], bs.in_grad[i]) / iscale;
      worst_in = std::max(worst_in, e);
      INFO("input " << g.v(i).name);
      CHECK(e < 1e-10);
    }

    // η_v = 0.1, 300 steps: geometric convergence (ε(t+1) = 0.9 ε(t) + 0.1 back(t)).
    cfg.eta_v = 0.1;
    cfg.steps = 300;
    pc_learn(g, pr.p, cfg, pr.B, pr.inputs(), pr.target.data(), s, pg);
    const double c01 = cosine(flat(pg), b);
    worst_cos01 = std::min(worst_cos01, c01);
    CHECK(c01 > 0.999999);
  }
  if (verbose())
    std::printf(
        "[gradients] fixed-prediction PC: %d graphs (%d skipped, zero gradient); eta 1: worst 1-cos %.3g, "
        "max|diff|/norm %.3g, eps %.3g, in_grad %.3g; eta 0.1 x 300: worst 1-cos %.3g\n",
        used, skipped, 1 - worst_cos1, worst_diff, worst_eps, worst_in, 1 - worst_cos01);
  INFO("not exercised:" << cov.missing());
  CHECK(cov.missing().empty());
}

TEST_CASE("standard PC approaches backprop as errors shrink", "[gradients]") {
  // Standard PC (predictions and Jacobians at the relaxed values), η_v = 0.1, 500 steps, output nudge
  // β ∈ {1, 0.1, 0.01, 0.001}; gradients are reported divided by β and tend to backprop's as β → 0
  // (1 − cosine falls roughly like β²).
  //
  // The graphs here are tamer than in the other tests, for reasons that belong to the relaxation dynamics,
  // not to the engine. Linearised around the forward pass, one relaxation step multiplies the deviation by
  // I − η_v (I − J)ᵀ(I − J), with J = ∂v̂/∂v strictly lower triangular, so it diverges when
  // η_v σ_max(I − J)² > 2 and its slowest mode decays like (1 − η_v σ_min(I − J)²)^t.
  //  * Unbounded Jacobians (square of unbounded values, products of unbounded factors) made some of the
  //    untamed graphs blow up to NaN at η_v = 0.1 even for β = 0.001: the tame generator avoids them.
  //  * sqrt of a value that relaxation pushes below zero is NaN (seen at β = 1): no sqrt here.
  //  * With plain Xavier weights, deep chains of gain-≈1 vertices left slow modes unconverged after 500
  //    steps (1 − cosine stuck near 1e-3 for every β, reaching ~1e-6 only after 1000-3000 steps): the
  //    weights are halved. For the same reason graphs whose backprop error amplification
  //    max|∂L/∂v_i| / max|∂L/∂v_out| exceeds 3 are skipped (it implies σ_min(I − J) ≤ 1/3).
  //  * A relu / hard_tanh pre-activation exactly on (or very near) its kink is locally constant for
  //    backprop but is moved by relaxation, which then sees the other one-sided derivative at every β:
  //    graphs with a kinky pre-activation within 1e-2 of its kink are skipped.
  // The filters only look at the forward / backprop state, never at the PC result.
  const int kGraphs = 30;
  const double betas[] = {1.0, 0.1, 0.01, 0.001};
  double worst_last = 1, worst_first = 1, worst_rise = 0, worst_cons = 0, worst_stat = 0, worst_grad = 0;
  int used = 0, skipped_kink = 0, skipped_gain = 0, skipped_zero = 0;
  for (uint64_t seed = 3001; used < kGraphs; ++seed) {
    REQUIRE(seed < 3001 + 4 * kGraphs);
    const Problem pr = make_problem(seed, true);
    const Graph& g = pr.g;
    State bs;
    Grads bg;
    backprop(g, pr.p, pr.B, pr.inputs(), pr.target.data(), bs, bg);
    if (kink_distance(g, bs, true) < 1e-2) {
      ++skipped_kink;
      continue;
    }
    double amp = 0;
    for (size_t i = 0; i < g.size(); ++i)
      if (g.v(i).op != OpKind::Input) amp = std::max(amp, max_abs({bs.eps[i]}));
    if (amp > 3 * max_abs({bs.eps[g.output()]})) {
      ++skipped_gain;
      continue;
    }
    const std::vector<double> b = flat(bg);
    if (norm(b) == 0) {  // e.g. a relu output vertex that is off for the whole batch
      ++skipped_zero;
      continue;
    }
    ++used;
    INFO("seed " << seed << "\n" << describe(g));
    std::vector<double> gap;  // 1 − cosine per β
    for (double beta : betas) {
      PcConfig cfg;
      cfg.mode = PcMode::Standard;
      cfg.eta_v = 0.1;
      cfg.steps = 500;
      cfg.beta = beta;
      State s;
      Grads pg;
      pc_learn(g, pr.p, cfg, pr.B, pr.inputs(), pr.target.data(), s, pg);
      const double c = cosine(flat(pg), b);
      INFO("beta " << beta << ": cosine " << c);
      REQUIRE(std::isfinite(c));
      gap.push_back(1 - c);
      // The end state itself, checked independently of backprop (matters most at β = 1, far from it):
      // errors consistent with the final values and output nudge, gradient taken at the final state.
      const PcStateCheck st = check_pc_state(pr, beta, s, pg);
      worst_cons = std::max(worst_cons, st.consistency);
      worst_grad = std::max(worst_grad, st.gradient);
      INFO("consistency " << st.consistency << ", gradient " << st.gradient);
      CHECK(st.consistency < 1e-12);
      CHECK(st.gradient < 1e-12);
    }
    INFO("1 - cosine for beta 1, 0.1, 0.01, 0.001: " << gap[0] << " " << gap[1] << " " << gap[2] << " " << gap[3]);
    worst_first = std::min(worst_first, 1 - gap[0]);
    worst_last = std::min(worst_last, 1 - gap[3]);
    for (size_t k = 1; k < gap.size(); ++k) {
      worst_rise = std::max(worst_rise, gap[k] - gap[k - 1]);
      CHECK(gap[k] <= gap[k - 1] + 1e-6);  // decreasing, up to small non-monotonic noise
    }
    CHECK(gap[3] < gap[0]);
    CHECK(1 - gap[3] > 0.9999);

    // Stationarity: given enough steps relaxation reaches a stationary point of the energy,
    // ε_i = Σ_children (∂v̂_j/∂v_i)ᵀ ε_j for every hidden vertex. Checked at β = 0.001 only: at large β
    // relaxed values can cross relu / hard_tanh kinks and the energy is not smooth there. 500 steps leave
    // slow modes of deep graphs up to a few % unconverged (harmless for the cosine above), hence 5000; the
    // slowest graph here (seed 3037) still decays by only ~0.17 % per step, hence the 1e-4 tolerance.
    {
      PcConfig cfg;
      cfg.mode = PcMode::Standard;
      cfg.eta_v = 0.1;
      cfg.steps = 5000;
      cfg.beta = 0.001;
      State s;
      Grads pg;
      pc_learn(g, pr.p, cfg, pr.B, pr.inputs(), pr.target.data(), s, pg);
      const PcStateCheck st = check_pc_state(pr, cfg.beta, s, pg);
      worst_stat = std::max(worst_stat, st.stationarity);
      INFO("5000 steps at beta 0.001: stationarity " << st.stationarity);
      CHECK(st.stationarity < 1e-4);
    }
  }
  if (verbose())
    std::printf(
        "[gradients] standard PC: %d graphs (skipped: %d near a kink, %d amplifying, %d zero gradient); "
        "worst cosine at beta 1: %.6f, at beta 0.001: %.9f; largest rise of 1 - cosine between betas: "
        "%.3g\n",
        used, skipped_kink, skipped_gain, skipped_zero, worst_first, worst_last, worst_rise);
  if (verbose())
    std::printf("[gradients] standard PC end states: worst consistency %.3g, stationarity %.3g, gradient %.3g\n",
                worst_cons, worst_stat, worst_grad);
}

TEST_CASE("negative control: fixed-prediction PC with too few steps does not match backprop", "[gradients]") {
  PcConfig cfg;
  cfg.mode = PcMode::FixedPrediction;
  cfg.eta_v = 1.0;
  cfg.steps = 1;

  SECTION("a dense chain of depth 4") {
    Graph g;
    auto dense = [&](const char* n, const char* par, int64_t units, Act act, Loss loss = Loss::None) {
      Vertex v;
      v.name = v.where = n;
      v.op = OpKind::Dense;
      v.parents = {par};
      v.units = units;
      v.act = act;
      v.loss = loss;
      g.add(v);
    };
    Vertex x;
    x.name = x.where = "x";
    x.shape = {4};
    g.add(x);
    dense("h1", "x", 5, Act::Tanh);
    dense("h2", "h1", 4, Act::Sigmoid);
    dense("h3", "h2", 4, Act::Tanh);
    dense("out", "h3", 3, Act::Identity, Loss::Mse);
    g.finalize("chain");
    REQUIRE(depth(g) == 4);
    const Params p = init_params(g, Init::Xavier, 5);
    Rng rng(6);
    std::vector<double> in(12), t(9);
    for (auto& v : in) v = rng.normal();
    for (auto& v : t) v = rng.normal();
    State bs, s;
    Grads bg, pg;
    backprop(g, p, 3, {in.data()}, t.data(), bs, bg);
    pc_learn(g, p, cfg, 3, {in.data()}, t.data(), s, pg);
    const double c1 = cosine(flat(pg), flat(bg));
    INFO("cosine after 1 step " << c1);
    CHECK(c1 < 0.999999);
    // the first layer's error has not been reached yet
    CHECK(max_abs(std::vector<std::vector<double>>{pg.w[g.find("h1")]}) == 0.0);
    // the same run with enough steps passes, so it is the step count that fails the check
    cfg.steps = 3;
    pc_learn(g, p, cfg, 3, {in.data()}, t.data(), s, pg);
    CHECK(cosine(flat(pg), flat(bg)) > 0.999999);
  }

  SECTION("random graphs of depth >= 3 with parameters far from the output") {
    // After one step with η_v = 1 only the output and its parents carry errors, so parameters used only
    // by vertices further away get a zero PC gradient. Whenever those hold more than 1e-5 of backprop's
    // squared gradient norm, cosine ≤ √(1 − 1e-5) < 0.999999.
    int used = 0;
    double best = -1;
    for (uint64_t seed = 4001; seed < 4201 && used < 20; ++seed) {
      const Problem pr = make_problem(seed);
      const Graph& g = pr.g;
      if (depth(g) < 3) continue;
      State bs, s;
      Grads bg, pg;
      backprop(g, pr.p, pr.B, pr.inputs(), pr.target.data(), bs, bg);
      const size_t out = g.output();
      std::vector<char> near(g.size(), 0);  // parameter owners used by the output or a parent of it
      for (size_t i = 0; i < g.size(); ++i) {
        const bool close =
            i == out || std::find(g.children(i).begin(), g.children(i).end(), out) != g.children(i).end();
        if (close && g.has_params(i)) near[g.param_owner(i)] = 1;
      }
      double far2 = 0;
      for (size_t i = 0; i < g.size(); ++i)
        if (g.param_owner(i) == i && !near[i]) {
          for (double x : bg.w[i]) far2 += x * x;
          for (double x : bg.b[i]) far2 += x * x;
        }
      const double all2 = std::pow(norm(flat(bg)), 2);
      if (all2 == 0 || far2 < 1e-5 * all2) continue;
      ++used;
      INFO("seed " << seed << "\n" << describe(g));
      pc_learn(g, pr.p, cfg, pr.B, pr.inputs(), pr.target.data(), s, pg);
      const double c = cosine(flat(pg), flat(bg));
      best = std::max(best, c);
      CHECK(c < 0.999999);
    }
    CHECK(used >= 20);
    if (verbose()) std::printf("[gradients] negative control: %d graphs, best cosine after 1 step %.9f\n", used, best);
  }
}
