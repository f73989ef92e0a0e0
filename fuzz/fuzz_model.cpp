// libFuzzer target for the model-file reader: pcgrid::parse_model (models/src/model_io.cpp + graph.cpp).
//
// Input: the bytes of a model file (JSON, docs/model-format.md), passed as the text to parse.
// A clean rejection is a pcgrid::ModelError. A finding is anything else: another exception type escaping
// (std::terminate → abort), a crash, a sanitizer report, a hang, or a broken invariant checked below.
//
// Graphs that parse are also listed with describe() and, when small, initialised and evaluated with the
// reference forward engine on a zero input of batch 1, so that weird-but-valid graphs reach the kernels.
#include "pcgrid/graph.hpp"
#include "pcgrid/reference.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// Evaluation budget: small graphs only, so every input runs in milliseconds even under ASan.
constexpr int64_t kMaxElements = 100000;  // total elements over all vertices
constexpr int64_t kMaxMacs = 1000000;     // Graph::forward_macs()

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "fuzz_model: invariant broken: %s\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) finding(what);
}

void exercise(const pcgrid::Graph& g) {
  using namespace pcgrid;
  check(g.size() > 0, "parsed graph has no vertices");
  check(g.topo().size() == g.size(), "topological order does not cover every vertex");
  check(!g.inputs().empty(), "parsed graph has no input");
  check(g.output() < g.size(), "parsed graph has no output");
  check(g.v(g.output()).loss != Loss::None, "output vertex carries no loss");

  const std::string text = describe(g);
  check(!text.empty(), "describe() returned nothing");

  int64_t elements = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const int64_t n = g.size_of(i);
    check(n > 0, "vertex with an empty shape");
    elements += n;
    if (elements >= kMaxElements) return;
  }
  const int64_t macs = g.forward_macs();
  check(macs >= 0, "negative MAC count");
  if (macs >= kMaxMacs) return;

  const Params p = init_params(g, Init::Xavier, 1);
  std::vector<std::vector<double>> zeros;
  std::vector<const double*> inputs;
  zeros.reserve(g.inputs().size());
  for (size_t i : g.inputs()) zeros.emplace_back(size_t(g.size_of(i)), 0.0);
  for (const auto& z : zeros) inputs.push_back(z.data());
  State s;
  forward(g, p, 1, inputs, s);
  check(s.out_fwd.size() == size_t(g.size_of(g.output())), "forward output has the wrong size");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pcgrid::Graph g;
  try {
    g = pcgrid::parse_model(text, "fuzz.json");
  } catch (const pcgrid::ModelError& e) {
    const std::string msg = e.what();
    if (msg.rfind("fuzz.json", 0) != 0) finding("ModelError message does not start with the origin");
    return 0;  // clean rejection
  }
  exercise(g);
  return 0;
}
