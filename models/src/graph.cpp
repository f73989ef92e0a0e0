#include "pcgrid/graph.hpp"

#include <fmt/format.h>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>
#include <map>

namespace pcgrid {

namespace {

struct OpName {
  OpKind k;
  const char* n;
};
constexpr OpName kOps[] = {{OpKind::Input, "input"},           {OpKind::Dense, "dense"}, {OpKind::Conv2d, "conv2d"},
                           {OpKind::Activation, "activation"}, {OpKind::Add, "add"},     {OpKind::Mul, "mul"},
                           {OpKind::Concat, "concat"},         {OpKind::Slice, "slice"}};
struct ActName {
  Act a;
  const char* n;
};
constexpr ActName kActs[] = {{Act::Identity, "identity"}, {Act::Relu, "relu"},       {Act::LeakyRelu, "leaky_relu"},
                             {Act::Tanh, "tanh"},         {Act::Sigmoid, "sigmoid"}, {Act::HardTanh, "hard_tanh"},
                             {Act::Sin, "sin"},           {Act::Tan, "tan"},         {Act::Sqrt, "sqrt"},
                             {Act::Square, "square"}};
struct LossName {
  Loss l;
  const char* n;
};
constexpr LossName kLosses[] = {{Loss::None, "none"}, {Loss::Mse, "mse"}, {Loss::SoftmaxCe, "softmax_ce"}};

template <class T, size_t N>
std::string names(const T (&tab)[N]) {
  std::string r;
  for (const auto& t : tab) r += (r.empty() ? "" : ", ") + std::string(t.n);
  return r;
}

}  // namespace

const char* to_string(OpKind k) {
  for (const auto& t : kOps)
    if (t.k == k) return t.n;
  return "?";
}
const char* to_string(Act a) {
  for (const auto& t : kActs)
    if (t.a == a) return t.n;
  return "?";
}
const char* to_string(Loss l) {
  for (const auto& t : kLosses)
    if (t.l == l) return t.n;
  return "?";
}
bool parse_op(const std::string& s, OpKind& out) {
  for (const auto& t : kOps)
    if (s == t.n) return out = t.k, true;
  return false;
}
bool parse_act(const std::string& s, Act& out) {
  for (const auto& t : kActs)
    if (s == t.n) return out = t.a, true;
  return false;
}
bool parse_loss(const std::string& s, Loss& out) {
  for (const auto& t : kLosses)
    if (s == t.n && t.l != Loss::None) return out = t.l, true;
  return false;
}
std::string op_names() { return names(kOps); }
std::string act_names() { return names(kActs); }
std::string loss_names() { return "mse, softmax_ce"; }

int64_t shape_size(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return s.empty() ? 0 : n;
}

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

void Graph::add(Vertex v) { boost::add_vertex(std::move(v), g_); }

size_t Graph::find(const std::string& name) const {
  for (size_t i = 0; i < size(); ++i)
    if (g_[i].name == name) return i;
  return npos;
}

// Largest tensor and parameter sizes a model may declare: far beyond any chip pcgrid simulates, small
// enough that a hostile file cannot make us allocate the machine away (docs/model-format.md).
static constexpr int64_t kMaxTensor = int64_t(1) << 26;  // 64 Mi elements per vertex / weight tensor

void Graph::finalize(const std::string& origin) {
  const size_t n = size();
  auto fail = [&](size_t i, const std::string& what) -> void {
    throw ModelError(fmt::format("{}: {} (vertex '{}'): {}", origin, g_[i].where, g_[i].name, what));
  };
  if (n == 0) throw ModelError(origin + ": the model has no vertices");
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < n; ++i) {
    if (g_[i].name.empty()) fail(i, "empty vertex name");
    if (!by_name.emplace(g_[i].name, i).second)
      fail(i, fmt::format("duplicate vertex name (first declared at {})", g_[by_name[g_[i].name]].where));
  }
  // Checked before parents and cycles: without an input every vertex has a parent, so the graph can only be
  // cyclic or name undefined parents, and those messages would hide the real problem.
  bool any_input = false;
  for (size_t i = 0; i < n; ++i) any_input = any_input || g_[i].op == OpKind::Input;
  if (!any_input) throw ModelError(origin + ": the model has no input vertex (declare one with \"op\": \"input\")");
  par_.assign(n, {});
  ch_.assign(n, {});
  for (size_t i = 0; i < n; ++i) {
    int slot = 0;
    for (const auto& p : g_[i].parents) {
      auto it = by_name.find(p);
      if (it == by_name.end()) fail(i, fmt::format("parent '{}' is not defined", p));
      if (it->second == i) fail(i, "vertex lists itself as a parent (cycle)");
      boost::add_edge(it->second, i, EdgeProps{slot++}, g_);
      par_[i].push_back(it->second);
      if (std::find(ch_[it->second].begin(), ch_[it->second].end(), i) == ch_[it->second].end())
        ch_[it->second].push_back(i);
    }
  }
  // Acyclicity: Boost's topological_sort throws not_a_dag; find a vertex on a cycle to name it.
  std::vector<size_t> rev;
  try {
    boost::topological_sort(g_, std::back_inserter(rev));
  } catch (const boost::not_a_dag&) {
    // Iteratively strip vertices with no remaining parents; what remains lies on or behind a cycle.
    std::vector<int> indeg(n, 0);
    for (size_t i = 0; i < n; ++i) indeg[i] = int(par_[i].size());
    std::vector<size_t> q;
    for (size_t i = 0; i < n; ++i)
      if (!indeg[i]) q.push_back(i);
    while (!q.empty()) {
      size_t u = q.back();
      q.pop_back();
      for (auto e : boost::make_iterator_range(boost::out_edges(u, g_)))
        if (--indeg[boost::target(e, g_)] == 0) q.push_back(boost::target(e, g_));
    }
    // Walk parents inside the remainder until a vertex repeats: that closes a cycle.
    size_t start = npos;
    for (size_t i = 0; i < n && start == npos; ++i)
      if (indeg[i] > 0) start = i;
    std::vector<size_t> path;
    std::vector<int> seen(n, -1);
    size_t u = start;
    while (seen[u] < 0) {
      seen[u] = int(path.size());
      path.push_back(u);
      for (auto p : par_[u])
        if (indeg[p] > 0) {
          u = p;
          break;
        }
    }
    std::string cyc;
    for (size_t k = path.size(); k-- > size_t(seen[u]);) cyc += g_[path[k]].name + " -> ";
    cyc += g_[path.back()].name;  // close the loop: u is a parent of path.back()
    fail(u, "the graph has a cycle: " + cyc);
  }
  topo_.assign(rev.rbegin(), rev.rend());

  // Per-op arity and shape inference, in topological order.
  inputs_.clear();
  output_ = npos;
  for (size_t i : topo_) {
    Vertex& v = g_[i];
    const auto& ps = par_[i];
    auto need = [&](size_t lo, size_t hi) {
      if (ps.size() < lo || ps.size() > hi)
        fail(i, hi == lo ? fmt::format("op '{}' takes exactly {} parent(s), got {}", to_string(v.op), lo, ps.size())
                         : fmt::format("op '{}' takes {} to {} parents, got {}", to_string(v.op), lo, hi, ps.size()));
    };
    auto pshape = [&](size_t k) -> const Shape& { return g_[ps[k]].shape; };
    switch (v.op) {
      case OpKind::Input:
        need(0, 0);
        if (v.shape.empty() || v.shape.size() > 3 || v.shape.size() == 2)
          fail(i, "input shape must be [n] or [channels, height, width]");
        {
          int64_t total = 1;  // each factor <= 2^26 and total <= 2^26 before multiplying: no overflow
          for (auto d : v.shape) {
            if (d <= 0 || d > kMaxTensor) fail(i, fmt::format("input dimension {} is out of range", d));
            total *= d;
            if (total > kMaxTensor)
              fail(i, fmt::format("input shape {} exceeds the limit of {} elements", shape_str(v.shape), kMaxTensor));
          }
        }
        inputs_.push_back(i);
        break;
      case OpKind::Dense:
        need(1, 1);
        if (v.units <= 0 || v.units > kMaxTensor) fail(i, fmt::format("'units' must be in 1..{}", kMaxTensor));
        if (shape_size(pshape(0)) * v.units > kMaxTensor)
          fail(i, fmt::format("weight matrix {}x{} exceeds the limit of {} elements", v.units, shape_size(pshape(0)),
                              kMaxTensor));
        v.shape = {v.units};
        break;
      case OpKind::Conv2d: {
        need(1, 1);
        const Shape& s = pshape(0);
        if (s.size() != 3)
          fail(i, fmt::format("conv2d needs a [channels, height, width] parent, '{}' has shape {}", g_[ps[0]].name,
                              shape_str(s)));
        if (v.channels <= 0 || v.kernel <= 0 || v.stride <= 0 || v.padding < 0)
          fail(i, "conv2d needs channels > 0, kernel > 0, stride > 0, padding >= 0");
        int64_t ho = (s[1] + 2 * v.padding - v.kernel) / v.stride + 1;
        int64_t wo = (s[2] + 2 * v.padding - v.kernel) / v.stride + 1;
        if (s[1] + 2 * v.padding < v.kernel || s[2] + 2 * v.padding < v.kernel || ho <= 0 || wo <= 0)
          fail(i, fmt::format("kernel {} does not fit input {} with padding {}", v.kernel, shape_str(s), v.padding));
        if (v.channels * s[0] * v.kernel * v.kernel > kMaxTensor || v.channels * ho * wo > kMaxTensor)
          fail(i, "conv2d size exceeds the tensor limit");
        v.shape = {v.channels, ho, wo};
        break;
      }
      case OpKind::Activation:
        need(1, 1);
        v.shape = pshape(0);
        break;
      case OpKind::Add:
      case OpKind::Mul:
        need(2, 64);
        for (size_t k = 1; k < ps.size(); ++k)
          if (pshape(k) != pshape(0))
            fail(i, fmt::format("parents must have equal shapes: '{}' is {}, '{}' is {}", g_[ps[0]].name,
                                shape_str(pshape(0)), g_[ps[k]].name, shape_str(pshape(k))));
        v.shape = pshape(0);
        if (!v.parent_acts.empty() && v.parent_acts.size() != ps.size())
          fail(i, fmt::format("'parent_activations' has {} entries for {} parents", v.parent_acts.size(), ps.size()));
        break;
      case OpKind::Concat: {
        need(2, 64);
        Shape s = pshape(0);
        for (size_t k = 1; k < ps.size(); ++k) {
          const Shape& t = pshape(k);
          if (t.size() != s.size() || !std::equal(t.begin() + 1, t.end(), s.begin() + 1))
            fail(i, fmt::format("concat joins along the first axis; '{}' is {} but '{}' is {}", g_[ps[0]].name,
                                shape_str(pshape(0)), g_[ps[k]].name, shape_str(t)));
          s[0] += t[0];
        }
        v.shape = s;
        break;
      }
      case OpKind::Slice: {
        need(1, 1);
        int64_t m = shape_size(pshape(0));
        if (v.length <= 0 || v.offset < 0 || v.offset + v.length > m)
          fail(i,
               fmt::format("slice [offset {}, length {}] is outside the parent's {} elements", v.offset, v.length, m));
        v.shape = {v.length};
        break;
      }
    }
    if (shape_size(v.shape) > kMaxTensor)
      fail(i, fmt::format("output shape {} exceeds the limit of {} elements", shape_str(v.shape), kMaxTensor));
    if (v.op == OpKind::Input && v.act != Act::Identity) fail(i, "an input vertex cannot have an activation");
    if (v.loss != Loss::None) {
      if (output_ != npos)
        fail(i, fmt::format("only one vertex may carry a loss; '{}' already does", g_[output_].name));
      if (v.op == OpKind::Input) fail(i, "an input vertex cannot carry a loss");
      output_ = i;
    }
  }
  if (inputs_.empty()) throw ModelError(origin + ": the model has no input vertex");
  if (output_ == npos) throw ModelError(origin + ": no vertex carries a loss (mark the output vertex with \"loss\")");
  if (!ch_[output_].empty())
    fail(output_,
         fmt::format("the output vertex must not feed other vertices (it feeds '{}')", g_[ch_[output_][0]].name));
  // Reachability: every vertex must lie on a path from an input to the output.
  std::vector<char> up(n, 0), down(n, 0);
  for (size_t i : topo_)
    if (g_[i].op == OpKind::Input || std::any_of(par_[i].begin(), par_[i].end(), [&](size_t p) { return up[p]; }))
      up[i] = 1;
  down[output_] = 1;
  for (auto it = topo_.rbegin(); it != topo_.rend(); ++it)
    for (auto c : ch_[*it])
      if (down[c]) down[*it] = 1;
  for (size_t i = 0; i < n; ++i) {
    if (!down[i]) fail(i, fmt::format("vertex does not reach the output '{}'", g_[output_].name));
    if (!up[i]) fail(i, "vertex is not reachable from an input");
  }
  // Parameter owners and tying.
  owner_.assign(n, npos);
  for (size_t i = 0; i < n; ++i) {
    const Vertex& v = g_[i];
    bool param_op = v.op == OpKind::Dense || v.op == OpKind::Conv2d;
    if (!v.share.empty()) {
      if (!param_op) fail(i, "'share' is only meaningful for dense and conv2d vertices");
      size_t o = find(v.share);
      if (o == npos) fail(i, fmt::format("'share' names unknown vertex '{}'", v.share));
      if (o == i) fail(i, "a vertex cannot share parameters with itself");
      if (g_[o].op != v.op)
        fail(i, fmt::format("cannot share parameters with '{}': its op is '{}', this vertex's op is '{}'", v.share,
                            to_string(g_[o].op), to_string(v.op)));
      if (!g_[o].share.empty()) fail(i, fmt::format("'{}' itself shares parameters; share with its owner", v.share));
      if (g_[o].bias != v.bias)
        fail(i, fmt::format("cannot share parameters with '{}': one has a bias and the other not", v.share));
      if (weight_shape(o) != weight_shape(i))
        fail(i, fmt::format("cannot share parameters with '{}': weight shapes {} and {} differ", v.share,
                            shape_str(weight_shape(o)), shape_str(weight_shape(i))));
      owner_[i] = o;
    } else if (param_op) {
      owner_[i] = i;
    }
  }
}

Shape Graph::weight_shape(size_t i) const {
  const Vertex& v = g_[i];
  if (v.op == OpKind::Dense) return {v.units, shape_size(g_[par_[i][0]].shape)};
  if (v.op == OpKind::Conv2d) return {v.channels, g_[par_[i][0]].shape[0], v.kernel, v.kernel};
  return {};
}

int64_t Graph::bias_size(size_t i) const {
  const Vertex& v = g_[i];
  if (!v.bias) return 0;
  if (v.op == OpKind::Dense) return v.units;
  if (v.op == OpKind::Conv2d) return v.channels;
  return 0;
}

int64_t Graph::forward_macs() const {
  int64_t m = 0;
  for (size_t i = 0; i < size(); ++i) {
    const Vertex& v = g_[i];
    if (v.op == OpKind::Dense) m += shape_size(weight_shape(i));
    if (v.op == OpKind::Conv2d) m += shape_size(weight_shape(i)) / v.channels * shape_size(v.shape);
  }
  return m;
}

}  // namespace pcgrid
