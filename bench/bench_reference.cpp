// Benchmarks of the double-precision reference engines. Each prints one JSON line on stdout.
//
//   pcgrid_bench_reference accuracy   [--model M] [--epochs N] [--steps T] [--seed S] [--train-samples N]
//       trains the same model with exact backprop and with predictive coding (same seed, epochs, optimiser,
//       schedule) and reports both test accuracies, their difference in percentage points and both wall times.
//   pcgrid_bench_reference throughput [--model M] [--steps T] [--batches N] [--repeats R]
//       times PC (T steps) and backprop on the same mini-batches, alternating, R times; reports median
//       samples/s of each, the measured time ratio PC/BP and the ideal ratio from counted MACs.
// docs/benchmarks.md explains how to reproduce the figures quoted in the docs.
#include "pcgrid/dataset.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/reference.hpp"
#include "pcgrid/train.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <numeric>

#include "bench_util.hpp"

using namespace pcgrid;
using json = nlohmann::json;

namespace {

using bench::median;
using bench::seconds_since;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pcgrid reference-engine benchmarks (one JSON line each)"};
  app.require_subcommand(1);
  std::string model = std::string(PCGRID_SOURCE_DIR) + "/models/zoo/mlp_fmnist.json";
  std::string data = kFashionMnistDir;
  int epochs = 10, steps = 5, steps_thr = 20, batches = 40, repeats = 5, batch = 64;
  uint64_t seed = 1;
  int64_t train_samples = 0;
  double lr = 1e-3, eta_v = 0.1;
  auto* acc = app.add_subcommand("accuracy", "Train with backprop and with PC; compare test accuracy");
  auto* thr = app.add_subcommand("throughput", "Samples/s of PC (T steps) and backprop, ratio vs MAC-count ideal");
  thr->add_option("-T,--steps", steps_thr, "PC relaxation steps")->capture_default_str();
  acc->add_option("-T,--steps", steps, "PC relaxation steps")->capture_default_str();
  for (auto* s : {acc, thr}) {
    s->add_option("--model", model, "Model file")->capture_default_str();
    s->add_option("--data", data, "Fashion-MNIST directory")->capture_default_str();
    s->add_option("--eta-v", eta_v, "PC inference rate")->capture_default_str();
    s->add_option("--batch", batch, "Mini-batch size")->capture_default_str();
  }
  std::string pc_mode = "fixed";
  acc->add_option("--pc-mode", pc_mode, "PC mode: fixed (fixed-prediction assumption) or standard")
      ->check(CLI::IsMember({"fixed", "standard"}))
      ->capture_default_str();
  acc->add_option("--epochs", epochs, "Epochs")->capture_default_str();
  acc->add_option("--seed", seed, "Seed")->capture_default_str();
  acc->add_option("--lr", lr, "Adam learning rate (cosine-decayed)")->capture_default_str();
  acc->add_option("--train-samples", train_samples, "First N training samples (0 = all)");
  thr->add_option("--batches", batches, "Mini-batches per timed run")->capture_default_str();
  thr->add_option("--repeats", repeats, "Timed runs per engine (median reported)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    Graph g = load_model(model);
    if (*acc) {
      ImageSet tr = load_fashion_mnist(data, "train", train_samples);
      ImageSet te = load_fashion_mnist(data, "t10k");
      check_model_fits_data(g, tr, model);
      TrainConfig c;
      c.epochs = epochs;
      c.seed = seed;
      c.batch = batch;
      c.cosine = true;
      c.opt.lr = lr;
      c.pc.steps = steps;
      c.pc.eta_v = eta_v;
      c.pc.mode = pc_mode == "fixed" ? PcMode::FixedPrediction : PcMode::Standard;
      c.algo = Algo::Backprop;
      auto t0 = std::chrono::steady_clock::now();
      TrainResult bp = train(g, tr, te, c);
      const double bp_wall = seconds_since(t0);
      c.algo = Algo::PredictiveCoding;
      t0 = std::chrono::steady_clock::now();
      TrainResult pc = train(g, tr, te, c);
      const double pc_wall = seconds_since(t0);
      const double a_bp = bp.epochs.back().test_acc, a_pc = pc.epochs.back().test_acc;
      json j = {{"bench", "reference_accuracy"},
                {"model", g.name},
                {"epochs", epochs},
                {"seed", seed},
                {"batch", batch},
                {"lr", lr},
                {"pc_steps", steps},
                {"pc_eta_v", eta_v},
                {"pc_mode", pc_mode},
                {"train_samples", tr.count},
                {"test_samples", te.count},
                {"bp_test_acc", a_bp},
                {"pc_test_acc", a_pc},
                {"pc_minus_bp_pp", 100 * (a_pc - a_bp)},
                {"bp_wall_s", bp_wall},
                {"pc_wall_s", pc_wall}};
      fmt::print("{}\n", j.dump());
      return 0;
    }
    // throughput
    ImageSet tr = load_fashion_mnist(data, "train", int64_t(batches) * batch);
    check_model_fits_data(g, tr, model);
    std::vector<int64_t> idx(size_t(tr.count));
    std::iota(idx.begin(), idx.end(), 0);
    std::vector<std::vector<double>> xs(static_cast<size_t>(batches)), ts(static_cast<size_t>(batches));
    for (int b = 0; b < batches; ++b) make_batch(tr, idx, int64_t(b) * batch, batch, xs[size_t(b)], ts[size_t(b)]);
    Params p = init_params(g, Init::Xavier, 1);
    PcConfig pc;
    pc.steps = steps_thr;
    pc.eta_v = eta_v;
    State s;
    Grads gr;
    std::vector<double> t_pc, t_bp;
    uint64_t macs_pc = 0, macs_bp = 0;
    for (int r = 0; r < repeats; ++r) {
      mac_count() = 0;
      auto t0 = std::chrono::steady_clock::now();
      for (int b = 0; b < batches; ++b) pc_learn(g, p, pc, batch, {xs[size_t(b)].data()}, ts[size_t(b)].data(), s, gr);
      t_pc.push_back(seconds_since(t0));
      macs_pc = mac_count();
      mac_count() = 0;
      t0 = std::chrono::steady_clock::now();
      for (int b = 0; b < batches; ++b) backprop(g, p, batch, {xs[size_t(b)].data()}, ts[size_t(b)].data(), s, gr);
      t_bp.push_back(seconds_since(t0));
      macs_bp = mac_count();
    }
    const double n = double(batches) * batch;
    const double mpc = median(t_pc), mbp = median(t_bp);
    const double ideal = double(macs_pc) / double(macs_bp);
    json j = {{"bench", "reference_throughput"},
              {"model", g.name},
              {"pc_steps", steps_thr},
              {"batch", batch},
              {"samples_per_run", int64_t(n)},
              {"repeats", repeats},
              {"pc_samples_per_s", n / mpc},
              {"bp_samples_per_s", n / mbp},
              {"pc_macs_per_sample", double(macs_pc) / n},
              {"bp_macs_per_sample", double(macs_bp) / n},
              {"measured_time_ratio_pc_over_bp", mpc / mbp},
              {"ideal_ratio_from_macs", ideal},
              {"pc_efficiency_vs_ideal", ideal / (mpc / mbp)}};
    fmt::print("{}\n", j.dump());
  } catch (const std::exception& e) {
    fmt::print(stderr, "pcgrid_bench_reference: error: {}\n", e.what());
    return 2;
  }
  return 0;
}
