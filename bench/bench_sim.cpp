// Simulator benchmarks (docs/benchmarks-sim.md). One JSON line per measurement.
//
//   speed    the cycle-level grid and the functional engine on the same work (the same mapping, samples and
//            seed): training samples per host second for both, simulated core-cycles per host second,
//            and the wall-time ratio cycle ÷ functional; plus the simulated chip's MAC-lane utilisation.
//   scaling  the cycle-level grid on one network mapped onto 4×4, 8×8 and 16×16 grids.
// SystemC allows one simulation per process: every cycle-level run happens in a forked child.
#include "bench_util.hpp"

#include "pcgrid/dataset.hpp"
#include "pcgrid/engine.hpp"
#include "pcgrid/lockstep.hpp"
#include "pcgrid/mapping.hpp"
#include "pcgrid/train.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

using namespace pcgrid;
using json = nlohmann::json;

namespace {

struct Run {
  double train_s = 0, infer_s = 0;
  int64_t rtl_core_ticks = 0, rtl_router_ticks = 0, rtl_phases = 0, rtl_mismatches = 0;
  double rtl_core_s = 0, rtl_router_s = 0;
  int64_t train_cycles = 0, infer_cycles = 0, macs = 0, train_samples = 0, infer_samples = 0;
  int cores_used = 0;
  double util = 0;
};

Run run_engine(const std::string& kind, const Mapping& m, const ImageSet& tr, int64_t ntrain, int64_t ninfer) {
  FxConfig c;
  const bool lockstep = kind == "rtl" || kind == "netlist";
  auto e = kind == "cycle" || lockstep ? make_cycle_engine(m, c) : make_functional_engine(m, c);
  std::shared_ptr<Lockstep> rtl;
  if (lockstep) {
    LockstepConfig lc;
    lc.all_cores = lc.all_routers = true;
    lc.netlist = kind == "netlist";  // the cores and routers as Yosys's iCE40 netlists (gate level)
    rtl = attach_lockstep(*e, lc);
  }
  Run r;
  const int64_t px = tr.pixels();
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < ntrain; ++s) e->train(&tr.images[size_t(s * px)], tr.labels[size_t(s)]);
  e->sync();
  r.train_s = bench::seconds_since(t0);
  const SimStats after = e->stats();
  std::vector<int> pred(static_cast<size_t>(ninfer));
  t0 = std::chrono::steady_clock::now();
  e->infer(&tr.images[0], ninfer, px, pred.data());
  r.infer_s = bench::seconds_since(t0);
  std::vector<int> cores(m.core_of);
  std::sort(cores.begin(), cores.end());
  r.cores_used = int(std::unique(cores.begin(), cores.end()) - cores.begin());
  r.train_cycles = after.train_cycles;
  r.infer_cycles = e->stats().infer_cycles;
  r.macs = after.counters.macs;
  r.train_samples = after.train_samples;
  r.infer_samples = e->stats().infer_samples;
  const double ideal = double(r.macs) / double(m.arch.mac_lanes * r.cores_used);
  r.util = r.train_cycles ? ideal / double(r.train_cycles) : 0.0;
  if (rtl) {
    const json j = json::parse(rtl->report_json());
    r.rtl_core_ticks = j["core_clock_ticks"];
    r.rtl_router_ticks = j["router_clock_ticks"];
    r.rtl_core_s = j["core_eval_s"];
    r.rtl_router_s = j["router_eval_s"];
    r.rtl_phases = j["phases"];
    r.rtl_mismatches = j["mismatches"];
  }
  return r;
}

// Runs `run_engine` in a child process (a fresh SystemC context) and returns its figures.
Run in_child(const std::string& kind, const Mapping& m, const ImageSet& tr, int64_t ntrain, int64_t ninfer) {
  int fd[2];
  if (pipe(fd) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(fd[0]);
    Run r = run_engine(kind, m, tr, ntrain, ninfer);
    const ssize_t n = write(fd[1], &r, sizeof r);
    _exit(n == ssize_t(sizeof r) ? 0 : 3);
  }
  close(fd[1]);
  Run r;
  const ssize_t n = read(fd[0], &r, sizeof r);
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != ssize_t(sizeof r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(kind + " run failed in the child process");
  return r;
}

Mapping map_on(const std::string& model, int w, int h) {
  Arch a = default_arch();
  a.name = fmt::format("default-{}x{}", w, h);
  a.width = w;
  a.height = h;
  return map_model(model, a, PlaceConfig{});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pcgrid simulator benchmarks (docs/benchmarks-sim.md)"};
  app.require_subcommand(1, 4);
  std::string data = kFashionMnistDir;
  int64_t samples = 300, infer = 100;
  int repeats = 3;
  app.add_option("--data", data, "Fashion-MNIST directory")->capture_default_str();
  app.add_option("--samples", samples, "Training samples per run")->capture_default_str();
  app.add_option("--infer", infer, "Inference samples per run")->capture_default_str();
  app.add_option("--repeats", repeats, "Repeats (medians are reported)")->capture_default_str();
  std::string model = std::string(PCGRID_SOURCE_DIR) + "/models/zoo/mlp_fmnist.json";
  auto* sp = app.add_subcommand("speed", "cycle-level vs functional on the same work, and MAC utilisation");
  sp->add_option("--model", model, "Model file")->capture_default_str();
  std::string smodel = std::string(PCGRID_SOURCE_DIR) + "/models/zoo/gated_fmnist.json";
  auto* sc = app.add_subcommand("scaling", "cycle-level simulation time on 4x4, 8x8 and 16x16 grids");
  sc->add_option("--model", smodel, "Model file (must fit a 4x4 grid)")->capture_default_str();
  int epochs = 1;
  auto* ac = app.add_subcommand(
      "accuracy", "functional engine vs the double PC reference, same algorithm, seed and sample order, full data");
  ac->add_option("--epochs", epochs, "Epochs over the whole training set")->capture_default_str();
  int64_t rtl_samples = 20;
  auto* rt = app.add_subcommand(
      "rtl", "RTL lockstep: simulated cycles per second with the Verilated cores and routers vs SystemC alone");
  rt->add_option("--model", model, "Model file")->capture_default_str();
  rt->add_option("--rtl-samples", rtl_samples, "Training samples per run")->capture_default_str();
  bool netlist = false;
  rt->add_flag("--netlist", netlist,
               "Also run the cores and routers as Yosys's iCE40 netlists (--rtl-netlist; a build with PCGRID_NETLIST) "
               "and report their ticks per second beside the RTL models'");
  CLI11_PARSE(app, argc, argv);

  if (*rt) {
    // Same mapping, data and samples: the SystemC grid alone, then every core the RTL implements and every
    // router on the Verilated RTL (scoreboard on). Medians over the repeats.
    const ImageSet few = load_fashion_mnist(data, "train", rtl_samples);
    const Mapping m = map_on(model, 8, 8);
    std::vector<double> sc_cps, ls_cps, core_tps, router_tps, ratio, net_core_tps, net_ratio, net_router_tps,
        net_router_ratio;
    Run a, b, n;
    for (int k = 0; k < repeats; ++k) {
      a = in_child("cycle", m, few, rtl_samples, 0);
      b = in_child("rtl", m, few, rtl_samples, 0);
      if (b.train_cycles != a.train_cycles || b.rtl_mismatches != 0)
        throw std::runtime_error("the lockstep run diverged from the SystemC run");
      sc_cps.push_back(double(a.train_cycles) / a.train_s);
      ls_cps.push_back(double(b.train_cycles) / b.train_s);
      core_tps.push_back(double(b.rtl_core_ticks) / b.rtl_core_s);
      router_tps.push_back(double(b.rtl_router_ticks) / b.rtl_router_s);
      ratio.push_back(b.train_s / a.train_s);
      if (netlist) {
        n = in_child("netlist", m, few, rtl_samples, 0);
        if (n.train_cycles != a.train_cycles || n.rtl_mismatches != 0)
          throw std::runtime_error("the gate-level lockstep run diverged from the SystemC run");
        net_core_tps.push_back(double(n.rtl_core_ticks) / n.rtl_core_s);
        net_ratio.push_back((n.rtl_core_s / double(n.rtl_core_ticks)) / (b.rtl_core_s / double(b.rtl_core_ticks)));
        net_router_tps.push_back(double(n.rtl_router_ticks) / n.rtl_router_s);
        net_router_ratio.push_back((n.rtl_router_s / double(n.rtl_router_ticks)) /
                                   (b.rtl_router_s / double(b.rtl_router_ticks)));
      }
    }
    json j;
    j["bench"] = "rtl_lockstep_speed";
    j["model"] = m.graph.name;
    j["train_samples"] = rtl_samples;
    j["repeats"] = repeats;
    j["simulated_cycles"] = a.train_cycles;
    j["systemc_cycles_per_s"] = bench::median(sc_cps);
    j["lockstep_cycles_per_s"] = bench::median(ls_cps);
    j["lockstep_over_systemc_time"] = bench::median(ratio);
    j["verilated_core_ticks_per_s"] = bench::median(core_tps);
    j["verilated_router_ticks_per_s"] = bench::median(router_tps);
    j["rtl_core_ticks"] = b.rtl_core_ticks;
    j["rtl_router_ticks"] = b.rtl_router_ticks;
    j["rtl_phases_compared"] = b.rtl_phases;
    j["mismatches"] = b.rtl_mismatches;
    if (netlist) {
      j["netlist_core_ticks_per_s"] = bench::median(net_core_tps);
      j["netlist_over_rtl_core_time_per_tick"] = bench::median(net_ratio);
      j["netlist_router_ticks_per_s"] = bench::median(net_router_tps);
      j["netlist_over_rtl_router_time_per_tick"] = bench::median(net_router_ratio);
      j["netlist_mismatches"] = n.rtl_mismatches;
    }
    fmt::print("{}\n", j.dump());
    if (!*sp && !*sc && !*ac) return 0;
  }

  if (*ac) {
    // Both engines: fixed prediction, η_v = 1, T = the plan's default, per-sample SGD at 2^-7, constant
    // rate, Xavier init from seed 1, the reference training loop's sample order, all 60,000 / 10,000 images.
    const ImageSet full = load_fashion_mnist(data, "train", 0), test = load_fashion_mnist(data, "t10k", 0);
    const Mapping m = map_on(model, 8, 8);
    FxConfig fc;
    auto f = make_functional_engine(m, fc);
    TrainConfig rc;
    rc.algo = Algo::PredictiveCoding;
    rc.pc.mode = PcMode::FixedPrediction;
    rc.pc.eta_v = 1.0;
    rc.pc.steps = f->steps();
    rc.opt.kind = OptKind::Sgd;
    rc.opt.lr = std::ldexp(1.0, -fc.shift_lr);
    rc.batch = 1;
    rc.epochs = epochs;
    rc.cosine = false;
    rc.seed = fc.seed;
    auto t0 = std::chrono::steady_clock::now();
    const TrainResult ref = train(m.graph, full, test, rc);
    const double ref_s = bench::seconds_since(t0);
    // The functional engine in the same order (models/src/train.cpp's shuffle).
    t0 = std::chrono::steady_clock::now();
    Rng shuffle(fc.seed ^ 0x5eed5eed5eed5eedULL);
    std::vector<int64_t> idx(size_t(full.count));
    std::iota(idx.begin(), idx.end(), 0);
    const int64_t px = full.pixels();
    for (int ep = 0; ep < epochs; ++ep) {
      for (size_t k = idx.size(); k > 1; --k) std::swap(idx[k - 1], idx[size_t(shuffle.below(k))]);
      for (int64_t i : idx) f->train(&full.images[size_t(i * px)], full.labels[size_t(i)]);
    }
    std::vector<int> pred(size_t(test.count));
    f->infer(test.images.data(), test.count, px, pred.data());
    const double fx_s = bench::seconds_since(t0);
    int64_t ok = 0;
    for (int64_t k = 0; k < test.count; ++k) ok += pred[size_t(k)] == test.labels[size_t(k)];
    const double fx_acc = double(ok) / double(test.count), ref_acc = ref.epochs.back().test_acc;
    json j;
    j["bench"] = "sim_accuracy";
    j["model"] = m.graph.name;
    j["epochs"] = epochs;
    j["steps"] = f->steps();
    j["lr"] = rc.opt.lr;
    j["functional_test_acc"] = fx_acc;
    j["reference_test_acc"] = ref_acc;
    j["functional_minus_reference_pp"] = 100 * (fx_acc - ref_acc);
    j["functional_wall_s"] = fx_s;
    j["reference_wall_s"] = ref_s;
    fmt::print("{}\n", j.dump());
    if (!*sp && !*sc) return 0;
  }
  const ImageSet tr = load_fashion_mnist(data, "train", std::max(samples, infer));
  if (*sp) {
    const Mapping m = map_on(model, 8, 8);
    std::vector<double> ct, ft, ratio, cps_core;
    Run c, f;
    for (int k = 0; k < repeats; ++k) {  // alternate the two, so both see the same machine load
      c = in_child("cycle", m, tr, samples, infer);
      f = run_engine("functional", m, tr, samples, infer);
      ct.push_back(c.train_s);
      ft.push_back(f.train_s);
      ratio.push_back(c.train_s / f.train_s);
      cps_core.push_back(double(c.train_cycles) * c.cores_used / c.train_s);
    }
    json j;
    j["bench"] = "sim_speed";
    j["model"] = m.graph.name;
    j["grid"] = "8x8";
    j["cores_used"] = c.cores_used;
    j["train_samples"] = samples;
    j["repeats"] = repeats;
    j["cycle_train_samples_per_s"] = double(samples) / bench::median(ct);
    j["functional_train_samples_per_s"] = double(samples) / bench::median(ft);
    j["cycle_over_functional_wall_ratio"] = bench::median(ratio);
    j["simulated_cycles_per_train_sample"] = double(c.train_cycles) / double(samples);
    j["simulated_cycles_per_host_s"] = double(c.train_cycles) / bench::median(ct);
    j["simulated_core_cycles_per_host_s"] = bench::median(cps_core);
    j["cycles_per_inference"] = double(c.infer_cycles) / double(infer);
    j["mac_lanes"] = m.arch.mac_lanes;
    j["mac_utilisation"] = c.util;
    fmt::print("{}\n", j.dump());
  }
  if (*sc) {
    for (int g : {4, 8, 16}) {
      const Mapping m = map_on(smodel, g, g);
      std::vector<double> t;
      Run r;
      for (int k = 0; k < repeats; ++k) {
        r = in_child("cycle", m, tr, samples, 0);
        t.push_back(r.train_s);
      }
      json j;
      j["bench"] = "sim_scaling";
      j["model"] = m.graph.name;
      j["grid"] = fmt::format("{}x{}", g, g);
      j["routers"] = g * g;
      j["cores_used"] = r.cores_used;
      j["train_samples"] = samples;
      j["host_s_median"] = bench::median(t);
      j["train_samples_per_s"] = double(samples) / bench::median(t);
      j["simulated_cycles_per_train_sample"] = double(r.train_cycles) / double(samples);
      j["simulated_cycles_per_host_s"] = double(r.train_cycles) / bench::median(t);
      j["mac_utilisation"] = r.util;
      fmt::print("{}\n", j.dump());
      std::fflush(stdout);
    }
  }
  return 0;
}
