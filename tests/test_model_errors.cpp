// Bad model files: every error must be a ModelError whose text names the origin, the place and the problem
// (docs/model-format.md, "Validation" and "Error messages"). Plus: every zoo model loads.
#include "pcgrid/graph.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace pcgrid;
using Catch::Contains;

namespace {

// A complete model document around the given vertex list (JSON array body, without brackets).
std::string model(const std::string& vertices) {
  return R"({"format": "pcgrid-model", "version": 1, "name": "t", "vertices": [)" + vertices + "]}";
}

Graph parse(const std::string& text) { return parse_model(text, "m.json"); }

const std::string kX = R"({"name": "x", "op": "input", "shape": [4]})";
const std::string kX3 = R"({"name": "x", "op": "input", "shape": [1, 4, 4]})";
const std::string kOut = R"({"name": "out", "op": "dense", "parents": ["x"], "units": 2, "loss": "mse"})";

std::string zoo_dir() { return std::string(PCGRID_SOURCE_DIR) + "/models/zoo"; }

}  // namespace

TEST_CASE("a minimal model parses", "[model][errors]") {
  Graph g = parse(model(kX + "," + kOut));
  REQUIRE(g.size() == 2);
  REQUIRE(g.v(g.output()).name == "out");
}

TEST_CASE("malformed JSON is reported with line and column", "[model][errors]") {
  const std::string text = "{\n  \"format\": \"pcgrid-model\",\n  \"version\": 1,\n  \"vertices\": [ ,\n]}";
  REQUIRE_THROWS_AS(parse(text), ModelError);
  REQUIRE_THROWS_WITH(parse(text), Contains("m.json: line 4, column 17: invalid JSON"));
  REQUIRE_THROWS_WITH(parse(""), Contains("m.json: line 1, column 1: invalid JSON"));
  REQUIRE_THROWS_WITH(parse(model(kX + "," + kOut) + " trailing"), Contains("invalid JSON"));
}

TEST_CASE("the top level must be a pcgrid-model object", "[model][errors]") {
  REQUIRE_THROWS_WITH(parse("[1, 2]"), Contains("m.json: top level: expected a JSON object, got array"));
  REQUIRE_THROWS_WITH(parse(R"({"version": 1, "vertices": []})"), Contains("'format' must be \"pcgrid-model\""));
  REQUIRE_THROWS_WITH(parse(R"({"format": "onnx", "version": 1, "vertices": []})"),
                      Contains("'format' must be \"pcgrid-model\""));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-model", "vertices": []})"), Contains("'version' must be 1"));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-model", "version": 2, "vertices": []})"),
                      Contains("'version' must be 1"));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-model", "version": "1", "vertices": []})"),
                      Contains("'version' must be 1"));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-model", "version": 1, "vertices": [], "layers": []})"),
                      Contains("top level: unknown key 'layers'"));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-model", "version": 1, "vertices": {}})"),
                      Contains("'vertices' must be an array"));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-model", "version": 1})"), Contains("'vertices' must be an array"));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-model", "version": 1, "vertices": [], "name": 3})"),
                      Contains("'name' must be a string"));
  REQUIRE_THROWS_WITH(parse(model("")), Contains("m.json: the model has no vertices"));
}

TEST_CASE("vertex objects: name, op, keys", "[model][errors]") {
  REQUIRE_THROWS_WITH(parse(model(kX + ", 3")), Contains("m.json: vertices[1]: expected a vertex object, got number"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"op": "dense"})")), Contains("vertices[1]: missing key 'name'"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": 5, "op": "dense"})")),
                      Contains("vertices[1]: 'name' must be a string, got number 5"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "h"})")), Contains("vertices[1] (vertex 'h'): missing key 'op'"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "h", "op": "lstm"})")),
                      Contains("vertices[1] (vertex 'h'): unknown op 'lstm' (expected one of: input, dense"));
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "h", "op": "dense", "parents": ["x"], "units": 2, "kernel": 3, "loss": "mse"})")),
      Contains("vertices[1] (vertex 'h'): unknown key 'kernel' for op 'dense'"));
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "x", "op": "input", "shape": [4], "activation": "tanh"},)" + kOut)),
                      Contains("unknown key 'activation' for op 'input'"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "h", "op": "dense", "units": 2, "loss": "mse"})")),
                      Contains("op 'dense' needs key 'parents'"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "h", "op": "dense", "parents": ["x"], "loss": "mse"})")),
                      Contains("op 'dense' needs key 'units'"));
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "out", "op": "dense", "parents": [], "units": 2, "loss": "mse"})")),
      Contains("'parents' must be a non-empty array"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "out", "op": "activation", "parents": ["x"], "loss": "mse"})")),
                      Contains("op 'activation' needs key 'activation'"));
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "", "op": "dense", "parents": ["x"], "units": 2, "loss": "mse"})")),
      Contains("empty vertex name"));
}

TEST_CASE("unknown activation and loss names", "[model][errors]") {
  REQUIRE_THROWS_WITH(
      parse(model(
          kX + R"(, {"name": "h", "op": "dense", "parents": ["x"], "units": 2, "activation": "gelu", "loss": "mse"})")),
      Contains("vertices[1] (vertex 'h'): unknown activation 'gelu' (expected one of: identity, relu, leaky_relu"));
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "h", "op": "dense", "parents": ["x"], "units": 2, "loss": "hinge"})")),
      Contains("vertices[1] (vertex 'h'): unknown loss 'hinge' (expected one of: mse, softmax_ce)"));
  REQUIRE_THROWS_WITH(
      parse(model(
          kX +
          R"(, {"name": "out", "op": "add", "parents": ["x", "x"], "parent_activations": ["tanh", "erf"], "loss": "mse"})")),
      Contains("'parent_activations' entry \"erf\" is not an activation"));
  REQUIRE_THROWS_WITH(
      parse(model(
          kX +
          R"(, {"name": "out", "op": "add", "parents": ["x", "x"], "parent_activations": ["tanh"], "loss": "mse"})")),
      Contains("'parent_activations' has 1 entries for 2 parents"));
  REQUIRE_THROWS_WITH(
      parse(model(
          kX +
          R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": 2, "activation": "leaky_relu", "alpha": 2, "loss": "mse"})")),
      Contains("'alpha' must be in [0, 1)"));
}

TEST_CASE("parents: undefined, duplicate names, self-parent, cycles", "[model][errors]") {
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "h", "op": "dense", "parents": ["y"], "units": 2, "loss": "mse"})")),
      Contains("vertices[1] (vertex 'h'): parent 'y' is not defined"));
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "x", "op": "dense", "parents": ["x"], "units": 2, "loss": "mse"})")),
      Contains("vertices[1] (vertex 'x'): duplicate vertex name (first declared at vertices[0])"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "h", "op": "add", "parents": ["x", "h"]}, )" + kOut)),
                      Contains("vertices[1] (vertex 'h'): vertex lists itself as a parent (cycle)"));
  // a -> b -> c -> a, entered from x
  const std::string cyc = model(kX + R"(,
      {"name": "a", "op": "add", "parents": ["x", "c"]},
      {"name": "b", "op": "activation", "activation": "tanh", "parents": ["a"]},
      {"name": "c", "op": "activation", "activation": "relu", "parents": ["b"]},
      {"name": "out", "op": "dense", "parents": ["c"], "units": 2, "loss": "mse"})");
  REQUIRE_THROWS_WITH(parse(cyc), Contains("cycle") && Contains("a") && Contains("b") && Contains("c"));
  // The named cycle is a closed chain of parent -> child edges.
  REQUIRE_THROWS_WITH(parse(cyc), Contains("the graph has a cycle: b -> c -> a -> b"));
}

TEST_CASE("shape mismatches", "[model][errors]") {
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "h", "op": "dense", "parents": ["x"], "units": 3},
                          {"name": "out", "op": "add", "parents": ["x", "h"], "loss": "mse"})")),
                      Contains("vertices[2] (vertex 'out'): parents must have equal shapes: 'x' is [4], 'h' is [3]"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "h", "op": "dense", "parents": ["x"], "units": 3},
                          {"name": "out", "op": "mul", "parents": ["h", "x"], "loss": "mse"})")),
                      Contains("parents must have equal shapes"));
  REQUIRE_THROWS_WITH(
      parse(model(kX3 + R"(, {"name": "y", "op": "input", "shape": [1, 4, 5]},
                           {"name": "c", "op": "concat", "parents": ["x", "y"]},
                           {"name": "out", "op": "dense", "parents": ["c"], "units": 2, "loss": "mse"})")),
      Contains("vertices[2] (vertex 'c'): concat joins along the first axis; 'x' is [1,4,4] but 'y' is [1,4,5]"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "y", "op": "input", "shape": [1, 4, 5]},
                          {"name": "c", "op": "concat", "parents": ["x", "y"]},
                          {"name": "out", "op": "dense", "parents": ["c"], "units": 2, "loss": "mse"})")),
                      Contains("concat joins along the first axis"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "out", "op": "add", "parents": ["x"], "loss": "mse"})")),
                      Contains("op 'add' takes 2 to 64 parents, got 1"));
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "x", "op": "input", "shape": [28, 28]},)" + kOut)),
                      Contains("vertices[0] (vertex 'x'): input shape must be [n] or [channels, height, width]"));
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "x", "op": "input", "shape": [4, 0, 2]},)" + kOut)),
                      Contains("'shape' entries must be integers"));
}

TEST_CASE("conv2d geometry", "[model][errors]") {
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "c", "op": "conv2d", "parents": ["x"], "channels": 2, "kernel": 3},
                          {"name": "out", "op": "dense", "parents": ["c"], "units": 2, "loss": "mse"})")),
      Contains("vertices[1] (vertex 'c'): conv2d needs a [channels, height, width] parent, 'x' has shape [4]"));
  REQUIRE_THROWS_WITH(
      parse(model(kX3 + R"(, {"name": "c", "op": "conv2d", "parents": ["x"], "channels": 2, "kernel": 7},
                           {"name": "out", "op": "dense", "parents": ["c"], "units": 2, "loss": "mse"})")),
      Contains("vertices[1] (vertex 'c'): kernel 7 does not fit input [1,4,4] with padding 0"));
  REQUIRE_THROWS_WITH(
      parse(model(kX3 + R"(, {"name": "c", "op": "conv2d", "parents": ["x"], "channels": 2, "kernel": 3, "stride": 0},
                           {"name": "out", "op": "dense", "parents": ["c"], "units": 2, "loss": "mse"})")),
      Contains("'stride' = 0 is out of range [1, 64]"));
}

TEST_CASE("slice range", "[model][errors]") {
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "s", "op": "slice", "parents": ["x"], "offset": 2, "length": 3},
                          {"name": "out", "op": "dense", "parents": ["s"], "units": 2, "loss": "mse"})")),
      Contains("vertices[1] (vertex 's'): slice [offset 2, length 3] is outside the parent's 4 elements"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "s", "op": "slice", "parents": ["x"], "offset": -1, "length": 2},
                          {"name": "out", "op": "dense", "parents": ["s"], "units": 2, "loss": "mse"})")),
                      Contains("'offset' = -1 is out of range"));
}

TEST_CASE("losses, inputs and reachability", "[model][errors]") {
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "h", "op": "dense", "parents": ["x"], "units": 2, "loss": "mse"},
                          {"name": "out", "op": "dense", "parents": ["h"], "units": 2, "loss": "mse"})")),
                      Contains("vertices[2] (vertex 'out'): only one vertex may carry a loss; 'h' already does"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": 2})")),
                      Contains("m.json: no vertex carries a loss"));
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "a", "op": "dense", "parents": ["b"], "units": 2},
                     {"name": "b", "op": "dense", "parents": ["a"], "units": 2, "loss": "mse"})")),
                      Contains("m.json: the model has no input vertex"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "dead", "op": "dense", "parents": ["x"], "units": 2}, )" + kOut)),
                      Contains("vertices[1] (vertex 'dead'): vertex does not reach the output 'out'"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "y", "op": "input", "shape": [3]}, )" + kOut)),
                      Contains("vertices[1] (vertex 'y'): vertex does not reach the output 'out'"));
  REQUIRE_THROWS_WITH(
      parse(model(kX + "," + kOut + R"(, {"name": "z", "op": "dense", "parents": ["out"], "units": 2})")),
      Contains("vertices[1] (vertex 'out'): the output vertex must not feed other vertices (it feeds 'z')"));
}

TEST_CASE("parameter sharing", "[model][errors]") {
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "a", "op": "dense", "parents": ["x"], "units": 3},
                          {"name": "b", "op": "dense", "parents": ["a"], "units": 3, "share": "a"},
                          {"name": "out", "op": "dense", "parents": ["b"], "units": 2, "loss": "mse"})")),
      Contains("vertices[2] (vertex 'b'): cannot share parameters with 'a': weight shapes [3,4] and [3,3] differ"));
  REQUIRE_THROWS_WITH(parse(model(kX + R"(, {"name": "a", "op": "dense", "parents": ["x"], "units": 4},
                          {"name": "b", "op": "dense", "parents": ["a"], "units": 4, "share": "a", "bias": false},
                          {"name": "out", "op": "dense", "parents": ["b"], "units": 2, "loss": "mse"})")),
                      Contains("cannot share parameters with 'a': one has a bias and the other not"));
  REQUIRE_THROWS_WITH(
      parse(model(kX +
                  R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": 2, "loss": "mse", "share": "nope"})")),
      Contains("'share' names unknown vertex 'nope'"));
  REQUIRE_THROWS_WITH(
      parse(model(kX +
                  R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": 2, "loss": "mse", "share": "out"})")),
      Contains("a vertex cannot share parameters with itself"));
  REQUIRE_THROWS_WITH(
      parse(
          model(kX + R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": 2, "loss": "mse", "share": "x"})")),
      Contains("cannot share parameters with 'x': its op is 'input'"));
  // A valid tie: two dense vertices with the same weight shape.
  Graph g = parse(model(kX + R"(, {"name": "a", "op": "dense", "parents": ["x"], "units": 4},
                                 {"name": "b", "op": "dense", "parents": ["a"], "units": 4, "share": "a"},
                                 {"name": "out", "op": "dense", "parents": ["b"], "units": 2, "loss": "mse"})"));
  REQUIRE(g.param_owner(g.find("b")) == g.find("a"));
}

TEST_CASE("numbers: absurd sizes, negative and non-integer values", "[model][errors]") {
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": 1000000000000, "loss": "mse"})")),
      Contains("vertices[1] (vertex 'out'): 'units' = 1000000000000 is out of range [1, 67108864]"));
  REQUIRE_THROWS_WITH(
      parse(model(
          kX + R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": 18446744073709551615, "loss": "mse"})")),
      Contains("'units' = 18446744073709551615 is out of range"));
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "x", "op": "input", "shape": [1000000, 1000000, 1000000]},)" + kOut)),
                      Contains("vertices[0] (vertex 'x'): input shape [1000000,1000000,1000000] exceeds the limit"));
  // Each dimension within the limit but the product overflows int64: still refused.
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "x", "op": "input", "shape": [60000000, 60000000, 60000000]},)" + kOut)),
                      Contains("exceeds the limit of 67108864 elements"));
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "x", "op": "input", "shape": [100000000]},)" + kOut)),
                      Contains("'shape' entries must be integers in 1..67108864"));
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "x", "op": "input", "shape": [67108864]},
                     {"name": "out", "op": "dense", "parents": ["x"], "units": 67108864, "loss": "mse"})")),
                      Contains("weight matrix 67108864x67108864 exceeds the limit"));
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "x", "op": "input", "shape": [67108864]},
                     {"name": "c", "op": "concat", "parents": ["x", "x"]},
                     {"name": "out", "op": "activation", "activation": "relu", "parents": ["c"], "loss": "mse"})")),
                      Contains("vertices[1] (vertex 'c'): output shape [134217728] exceeds the limit"));
  REQUIRE_THROWS_WITH(parse(model(R"({"name": "x", "op": "input", "shape": [65536, 32, 32]},
                     {"name": "c", "op": "conv2d", "parents": ["x"], "channels": 65536, "kernel": 32},
                     {"name": "out", "op": "dense", "parents": ["c"], "units": 2, "loss": "mse"})")),
                      Contains("conv2d size exceeds the tensor limit"));
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": -5, "loss": "mse"})")),
      Contains("'units' = -5 is out of range"));
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": 2.5, "loss": "mse"})")),
      Contains("'units' must be an integer, got number 2.5"));
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": "10", "loss": "mse"})")),
      Contains("'units' must be an integer, got string \"10\""));
  REQUIRE_THROWS_WITH(
      parse(model(kX + R"(, {"name": "out", "op": "dense", "parents": ["x"], "units": 2, "bias": 1, "loss": "mse"})")),
      Contains("'bias' must be true or false"));
}

TEST_CASE("load_model: missing file and directories", "[model][errors]") {
  REQUIRE_THROWS_AS(load_model("/nonexistent/pcgrid/model.json"), ModelError);
  REQUIRE_THROWS_WITH(load_model("/nonexistent/pcgrid/model.json"),
                      Contains("/nonexistent/pcgrid/model.json: cannot open model file"));
  REQUIRE_THROWS_WITH(load_model(zoo_dir()), Contains("is a directory, not a model file"));
}

TEST_CASE("every zoo model loads and fits Fashion-MNIST", "[model][zoo]") {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(zoo_dir()))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 5);
  for (const auto& f : files) {
    INFO(f);
    Graph g = load_model(f);
    REQUIRE(g.inputs().size() == 1);
    REQUIRE(g.size_of(g.inputs()[0]) == 784);
    REQUIRE(g.size_of(g.output()) == 10);
    REQUIRE(g.v(g.output()).loss == Loss::SoftmaxCe);
  }
}

TEST_CASE("the zoo CNN has the documented shapes", "[model][zoo]") {
  Graph g = load_model(zoo_dir() + "/cnn_fmnist.json");
  REQUIRE(g.v(g.find("x")).shape == Shape{1, 28, 28});
  // (28 + 2*2 - 5)/2 + 1 = 14; (14 + 2*1 - 3)/2 + 1 = 7
  REQUIRE(g.v(g.find("c1")).shape == Shape{8, 14, 14});
  REQUIRE(g.v(g.find("c2")).shape == Shape{16, 7, 7});
  REQUIRE(g.v(g.find("fc")).shape == Shape{64});
  REQUIRE(g.v(g.find("out")).shape == Shape{10});
  REQUIRE(g.weight_shape(g.find("c1")) == Shape{8, 1, 5, 5});
  REQUIRE(g.weight_shape(g.find("c2")) == Shape{16, 8, 3, 3});
  REQUIRE(g.weight_shape(g.find("fc")) == Shape{64, 784});
  REQUIRE(g.forward_macs() == 8 * 25 * 196 + 16 * 72 * 49 + 64 * 784 + 10 * 64);
}

TEST_CASE("the zoo RNN ties input and recurrent weights across steps", "[model][zoo]") {
  Graph g = load_model(zoo_dir() + "/rnn_fmnist.json");
  for (const char* u : {"u1", "u2", "u3"}) REQUIRE(g.param_owner(g.find(u)) == g.find("h0"));
  for (const char* r : {"r2", "r3"}) REQUIRE(g.param_owner(g.find(r)) == g.find("r1"));
  REQUIRE(g.v(g.find("x3")).shape == Shape{196});
  REQUIRE(g.v(g.find("h3")).act == Act::Tanh);
}
