// The cycle-level SystemC grid against the functional engine: bit-identical weights, outputs and errors
// after training, on one core and on several, with other link latencies, buffer depths and MAC lanes, and
// around a dead router (table routing). SystemC allows one simulation per process, so every cycle-level
// run happens in a forked child that sends its results back through a pipe.
#include <catch2/catch.hpp>

#include "pcgrid/engine.hpp"
#include "sim_test_util.hpp"

#include <cstring>

using namespace pcgrid;

namespace {

struct RunResult {
  std::vector<int16_t> weights, biases, eps, outputs;  // all slices, in slice order; inference outputs
  std::vector<int> train_pred, infer_pred;
  int64_t train_cycles = 0, infer_cycles = 0, messages = 0, flits = 0, flit_hops = 0, macs = 0;
  std::string error;
};

constexpr int kTrain = 40, kInfer = 12, kPixels = 16, kClasses = 4;

RunResult run(FxEngine& e, const Samples& d) {
  RunResult r;
  for (int s = 0; s < kTrain; ++s) r.train_pred.push_back(e.train(&d.pixels[size_t(s * kPixels)], d.labels[size_t(s)]));
  e.sync();
  for (const SliceKernel& k : e.kernels()) {
    r.weights.insert(r.weights.end(), k.weights().begin(), k.weights().end());
    r.biases.insert(r.biases.end(), k.biases().begin(), k.biases().end());
    r.eps.insert(r.eps.end(), k.eps().begin(), k.eps().end());
  }
  r.infer_pred.resize(kInfer);
  e.infer(&d.pixels[size_t(kTrain * kPixels)], kInfer, kPixels, r.infer_pred.data());
  r.outputs = e.last_output();
  const SimStats& st = e.stats();
  r.train_cycles = st.train_cycles;
  r.infer_cycles = st.infer_cycles;
  r.messages = st.messages;
  r.flits = st.flits;
  r.flit_hops = st.flit_hops;
  r.macs = st.counters.macs;
  return r;
}

template <class T>
void put(std::string& b, const std::vector<T>& v) {
  const uint64_t n = v.size();
  b.append(reinterpret_cast<const char*>(&n), sizeof n);
  b.append(reinterpret_cast<const char*>(v.data()), n * sizeof(T));
}
template <class T>
void get(const std::string& b, size_t& at, std::vector<T>& v) {
  uint64_t n = 0;
  std::memcpy(&n, b.data() + at, sizeof n);
  at += sizeof n;
  v.resize(n);
  std::memcpy(v.data(), b.data() + at, n * sizeof(T));
  at += n * sizeof(T);
}

// The cycle engine in a child process (in_child: one SystemC context per process).
RunResult run_cycle(const Mapping& m, const FxConfig& c, const Samples& d) {
  const std::string b = in_child([&] {
    auto e = make_cycle_engine(m, c);
    RunResult r = run(*e, d);
    std::string out = "OK";
    put(out, r.weights);
    put(out, r.biases);
    put(out, r.eps);
    put(out, r.outputs);
    put(out, r.train_pred);
    put(out, r.infer_pred);
    put(out, std::vector<int64_t>{r.train_cycles, r.infer_cycles, r.messages, r.flits, r.flit_hops, r.macs});
    return out;
  });
  RunResult r;
  REQUIRE(b.size() >= 2);
  if (b.compare(0, 2, "ER") == 0) {
    r.error = b.substr(2);
    return r;
  }
  size_t at = 2;
  get(b, at, r.weights);
  get(b, at, r.biases);
  get(b, at, r.eps);
  get(b, at, r.outputs);
  get(b, at, r.train_pred);
  get(b, at, r.infer_pred);
  std::vector<int64_t> st;
  get(b, at, st);
  r.train_cycles = st[0];
  r.infer_cycles = st[1];
  r.messages = st[2];
  r.flits = st[3];
  r.flit_hops = st[4];
  r.macs = st[5];
  return r;
}

// First differing index of two vectors, -1 when equal (a bit-level diff).
template <class T>
long first_diff(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return long(std::min(a.size(), b.size()));
  for (size_t k = 0; k < a.size(); ++k)
    if (a[k] != b[k]) return long(k);
  return -1;
}

RunResult check_identical(const Mapping& m, const Samples& d, uint64_t seed = 5) {
  FxConfig c;
  c.seed = seed;
  c.shift_lr = 4;  // a large rate: many weights change, so a divergence would show
  auto f = make_functional_engine(m, c);
  const RunResult a = run(*f, d);
  const RunResult b = run_cycle(m, c, d);
  INFO("cycle engine error: " << b.error);
  REQUIRE(b.error.empty());
  CHECK(first_diff(a.weights, b.weights) == -1);
  CHECK(first_diff(a.biases, b.biases) == -1);
  CHECK(first_diff(a.eps, b.eps) == -1);
  CHECK(first_diff(a.outputs, b.outputs) == -1);
  CHECK(a.train_pred == b.train_pred);
  CHECK(a.infer_pred == b.infer_pred);
  // The same messages cross the same links; MACs are the same work.
  CHECK(a.messages == b.messages);
  CHECK(a.flits == b.flits);
  CHECK(a.flit_hops == b.flit_hops);
  CHECK(a.macs == b.macs);
  CHECK(b.train_cycles > 0);
  CHECK(b.infer_cycles > 0);
  return b;
}

const char* kMlp = R"({"format": "pcgrid-model", "version": 1, "name": "small-mlp", "vertices": [
    {"name": "x", "op": "input", "shape": [16]},
    {"name": "h1", "op": "dense", "parents": ["x"], "units": 12, "activation": "tanh"},
    {"name": "h2", "op": "dense", "parents": ["h1"], "units": 10, "activation": "relu"},
    {"name": "out", "op": "dense", "parents": ["h2"], "units": 4, "loss": "softmax_ce"}]})";

const char* kGated = R"({"format": "pcgrid-model", "version": 1, "name": "small-gated", "vertices": [
    {"name": "x", "op": "input", "shape": [16]},
    {"name": "g", "op": "dense", "parents": ["x"], "units": 8, "activation": "sigmoid"},
    {"name": "h", "op": "dense", "parents": ["x"], "units": 8, "activation": "tanh"},
    {"name": "m", "op": "mul", "parents": ["g", "h"]},
    {"name": "b", "op": "dense", "parents": ["x"], "units": 6, "activation": "leaky_relu"},
    {"name": "c", "op": "concat", "parents": ["m", "b"]},
    {"name": "out", "op": "dense", "parents": ["c"], "units": 4, "loss": "softmax_ce"}]})";

const char* kResidual = R"({"format": "pcgrid-model", "version": 1, "name": "small-residual", "vertices": [
    {"name": "x", "op": "input", "shape": [16]},
    {"name": "h1", "op": "dense", "parents": ["x"], "units": 10, "activation": "hard_tanh"},
    {"name": "h2", "op": "dense", "parents": ["h1"], "units": 10, "activation": "tanh"},
    {"name": "r", "op": "add", "parents": ["h1", "h2"]},
    {"name": "a", "op": "activation", "parents": ["r"], "activation": "relu"},
    {"name": "out", "op": "dense", "parents": ["a"], "units": 4, "loss": "mse"}]})";

}  // namespace

TEST_CASE("grid and functional engine agree bit for bit on a multi-core MLP", "[grid][sim]") {
  const Samples d = synthetic_samples(kPixels, kClasses, kTrain + kInfer, 11);
  const Mapping m = test_mapping(kMlp, small_arch(4, 4, 64, 16));
  REQUIRE(m.slices.size() >= 8);
  check_identical(m, d);
}

TEST_CASE("one core, several cores, other latencies, buffers and lanes: same bits, other timing", "[grid][sim]") {
  const Samples d = synthetic_samples(kPixels, kClasses, kTrain + kInfer, 12);
  // Cores big enough for a whole vertex: the slicing is the same on every grid below.
  Arch one = small_arch(1, 1, 4096, 256);
  Arch several = small_arch(3, 3, 4096, 256);
  Arch slow = several;
  slow.link_latency = 4;
  slow.buffer_depth = 1;
  slow.flit_bits = 16;
  Arch wide = several;
  wide.mac_lanes = 8;
  wide.buffer_depth = 16;
  const Mapping m1 = test_mapping(kMlp, one), m2 = test_mapping(kMlp, several), m3 = test_mapping(kMlp, slow),
                m4 = test_mapping(kMlp, wide);
  REQUIRE(m1.slices.size() == m2.slices.size());
  std::vector<int> cores(m2.core_of);
  std::sort(cores.begin(), cores.end());
  CHECK(std::unique(cores.begin(), cores.end()) - cores.begin() > 1);  // really several cores
  const RunResult r1 = check_identical(m1, d), r2 = check_identical(m2, d), r3 = check_identical(m3, d),
                  r4 = check_identical(m4, d);
  // Results do not depend on the grid ...
  CHECK(first_diff(r1.weights, r2.weights) == -1);
  CHECK(first_diff(r1.weights, r3.weights) == -1);
  CHECK(first_diff(r1.weights, r4.weights) == -1);
  CHECK(r1.infer_pred == r3.infer_pred);
  // ... timing does.
  CHECK(r1.messages < r2.messages);  // on one core no message crosses the NoC except to and from the host
  CHECK(r3.train_cycles > r2.train_cycles);
  CHECK(r4.train_cycles < r2.train_cycles);
}

TEST_CASE("gated (mul, concat, sigmoid) and residual (add, mse) models agree bit for bit", "[grid][sim]") {
  const Samples d = synthetic_samples(kPixels, kClasses, kTrain + kInfer, 13);
  check_identical(test_mapping(kGated, small_arch(5, 5, 128, 8)), d);
  check_identical(test_mapping(kResidual, small_arch(4, 4, 64, 8), "anneal"), d);
}

TEST_CASE("table routing around a dead router gives the same bits", "[grid][sim]") {
  const Samples d = synthetic_samples(kPixels, kClasses, kTrain + kInfer, 14);
  Arch a = small_arch(4, 4, 64, 16);
  a.dead_routers = {{1, 1}};
  a.dead_links = {{{2, 0}, {3, 0}}};
  const Mapping m = test_mapping(kMlp, a);
  const RunResult r = check_identical(m, d);
  CHECK(r.flit_hops > 0);
}

TEST_CASE("zoo models on the default grid: functional and grid agree bit for bit", "[grid][sim][zoo]") {
  // Every zoo model the fixed-point engines support, mapped as `pcgrid map` would, 8 training samples and
  // 4 inferences of synthetic 28 x 28 images (the real data set is not needed to compare two engines).
  const Samples d = synthetic_samples(784, 10, 12, 41);
  for (const char* name : {"mlp_fmnist", "residual_mlp_fmnist", "gated_fmnist"}) {
    const std::string path = std::string(PCGRID_SOURCE_DIR) + "/models/zoo/" + name + ".json";
    const Mapping m = map_model(path, default_arch(), PlaceConfig{});
    FxConfig c;
    c.shift_lr = 5;
    auto run_zoo = [&](FxEngine& e) {
      std::string out;
      for (int s = 0; s < 8; ++s) out += std::to_string(e.train(&d.pixels[size_t(s * 784)], d.labels[size_t(s)]));
      e.sync();
      std::vector<int> p(4);
      e.infer(&d.pixels[8 * 784], 4, 784, p.data());
      for (int x : p) out += "," + std::to_string(x);
      for (const SliceKernel& k : e.kernels()) {
        out.append(reinterpret_cast<const char*>(k.weights().data()), k.weights().size() * 2);
        out.append(reinterpret_cast<const char*>(k.biases().data()), k.biases().size() * 2);
      }
      return out;
    };
    auto f = make_functional_engine(m, c);
    const std::string a = run_zoo(*f);
    const std::string b = in_child([&] {
      auto e = make_cycle_engine(m, c);
      return run_zoo(*e);
    });
    INFO(name << (b.rfind("ER", 0) == 0 ? ": " + b : ""));
    CHECK(a == b);
  }
  // The other two are refused with the reason.
  for (const char* name : {"cnn_fmnist", "rnn_fmnist"}) {
    const Mapping m =
        map_model(std::string(PCGRID_SOURCE_DIR) + "/models/zoo/" + name + ".json", default_arch(), PlaceConfig{});
    CHECK_THROWS_AS(make_functional_engine(m, FxConfig{}), SimError);
  }
}
