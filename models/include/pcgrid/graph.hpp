// pcgrid computation-graph IR.
//
// A model is a directed acyclic graph (Boost.Graph bidirectional adjacency list). Every vertex i holds, in
// the predictive-coding view, a value v_i and a prediction
//
//     v̂_i = act_i( op_i(values of its parents; θ_i) )
//
// where op_i is one of the operations below (linear in its parents except `mul`) and act_i is an
// elementwise activation (identity unless given). Splitting each vertex into "op then activation" lets one
// vector-Jacobian product routine serve exact backprop (gradient of the loss) and predictive coding (the
// error back-projection Σ_j (∂v̂_j/∂v_i)ᵀ ε_j and the local weight step (∂v̂_i/∂θ_i)ᵀ ε_i).
//
// Shapes are 1-D ([n]) or 3-D ([channels, height, width]). Tensors are stored flat, row-major.
// Exactly one vertex carries a loss; it is the output vertex. Input vertices are clamped to data.
#pragma once

#include <boost/graph/adjacency_list.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pcgrid {

enum class OpKind { Input, Dense, Conv2d, Activation, Add, Mul, Concat, Slice };
enum class Act { Identity, Relu, LeakyRelu, Tanh, Sigmoid, HardTanh, Sin, Tan, Sqrt, Square };
enum class Loss { None, Mse, SoftmaxCe };

const char* to_string(OpKind k);
const char* to_string(Act a);
const char* to_string(Loss l);
// Name → enum; return false when the name is unknown.
bool parse_op(const std::string& s, OpKind& out);
bool parse_act(const std::string& s, Act& out);
bool parse_loss(const std::string& s, Loss& out);
// Comma-separated lists of accepted names, for help texts and error messages.
std::string op_names();
std::string act_names();
std::string loss_names();

using Shape = std::vector<int64_t>;
int64_t shape_size(const Shape& s);
std::string shape_str(const Shape& s);

struct Vertex {
  std::string name;
  OpKind op = OpKind::Input;
  Act act = Act::Identity;
  double act_alpha = 0.01;  // leaky-ReLU slope for negative inputs
  Loss loss = Loss::None;
  std::vector<std::string> parents;  // ordered (concat order, etc.)
  // add / mul only: elementwise function applied to each parent before combining
  // (z = Σ_k g_k(x_k) or Π_k g_k(x_k)); empty = identity for all. Lets tan(a) + sin(b) be one vertex.
  std::vector<Act> parent_acts;
  Shape shape;  // output shape, filled by validation for non-inputs
  // dense
  int64_t units = 0;
  bool bias = true;
  // conv2d (square kernel, zero padding)
  int64_t channels = 0, kernel = 0, stride = 1, padding = 0;
  // slice (of the flattened parent)
  int64_t offset = 0, length = 0;
  // parameter tying: name of the vertex whose parameters this one uses ("" = own parameters)
  std::string share;
  // where the vertex was declared, for error messages ("vertices[3]")
  std::string where;
};

struct EdgeProps {
  int slot = 0;  // position of the parent in the child's parent list
};

using BGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Vertex, EdgeProps>;

// Error in a model: carries the file (if any) and the location inside it in its message.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A validated computation graph. Vertex ids are dense 0..n-1 in declaration order.
class Graph {
 public:
  // Adds a vertex; parents are resolved in finalize().
  void add(Vertex v);
  // Resolves parents, checks acyclicity, shapes, reachability and the single loss; fills shapes, the
  // topological order and the parameter owners. Throws ModelError naming the vertex. `origin` prefixes
  // every message (typically the file name).
  void finalize(const std::string& origin = "model");

  size_t size() const { return boost::num_vertices(g_); }
  const Vertex& v(size_t i) const { return g_[i]; }
  const BGraph& bgl() const { return g_; }
  const std::vector<size_t>& topo() const { return topo_; }               // parents before children
  const std::vector<size_t>& parents(size_t i) const { return par_[i]; }  // ordered
  const std::vector<size_t>& children(size_t i) const { return ch_[i]; }  // each child once
  const std::vector<size_t>& inputs() const { return inputs_; }
  size_t output() const { return output_; }
  int64_t size_of(size_t i) const { return shape_size(g_[i].shape); }
  // Parameter owner of vertex i (itself, or the vertex it shares with); npos when it has no parameters.
  size_t param_owner(size_t i) const { return owner_[i]; }
  bool has_params(size_t i) const { return owner_[i] != npos; }
  // Shape of the weight tensor / bias of a parameterised vertex (dense: [units, in], conv: [co, ci, k, k]).
  Shape weight_shape(size_t i) const;
  int64_t bias_size(size_t i) const;
  // Index of a vertex by name, or npos.
  size_t find(const std::string& name) const;
  // MACs for one forward evaluation of the whole graph (dense and conv only), per sample.
  int64_t forward_macs() const;
  std::string name;
  std::string description;
  static constexpr size_t npos = static_cast<size_t>(-1);

 private:
  BGraph g_;
  std::vector<size_t> topo_, inputs_, owner_;
  std::vector<std::vector<size_t>> par_, ch_;
  size_t output_ = npos;
};

// Loads a model file (JSON, docs/model-format.md). Throws ModelError "FILE: location: what".
Graph load_model(const std::string& path);
// Parses model JSON text; `origin` names the source in errors.
Graph parse_model(const std::string& text, const std::string& origin);
// Human-readable listing of the graph (for `pcgrid inspect`).
std::string describe(const Graph& g);

}  // namespace pcgrid
