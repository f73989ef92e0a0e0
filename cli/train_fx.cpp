// `pcgrid train MAPPING --engine {functional,cycle}` (train_fx.hpp).
#include "train_fx.hpp"

#include "output.hpp"
#include "progress.hpp"

#include "pcgrid/checkpoint.hpp"
#include "pcgrid/dataset.hpp"
#include "pcgrid/engine.hpp"
#include "pcgrid/faults.hpp"
#include "pcgrid/lockstep.hpp"
#include "pcgrid/train.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <sstream>

namespace pcgrid::cli {

using json = nlohmann::json;

int rate_shift(double rate, const std::string& option) {
  for (int k = 0; k <= 15; ++k)
    if (rate == std::ldexp(1.0, -k)) return k;
  throw SimError(
      fmt::format("{} {}: the fixed-point engines apply rates as right shifts; give a power of two "
                  "between 2^-15 and 1, e.g. 0.0078125 (2^-7)",
                  option, rate));
}

namespace {

struct Snapshot {
  SimStats s;
  double seconds = 0;
};

double energy_pj(const Arch& a, const Counters& c, int64_t flit_hops) {
  return double(c.macs) * a.energy.mac_pj + double(c.sram_reads) * a.energy.sram_read_pj +
         double(c.sram_writes) * a.energy.sram_write_pj + double(c.reg_accesses) * a.energy.reg_access_pj +
         double(flit_hops) * a.energy.flit_hop_pj;
}

// "all" or a list of X,Y core coordinates → core ids.
void parse_cores(const std::vector<std::string>& list, const Arch& a, const char* option, std::vector<int>& ids,
                 bool& all) {
  for (const std::string& item : list) {
    if (item == "all") {
      all = true;
      continue;
    }
    int x = -1, y = -1;
    char comma = 0, extra = 0;
    std::istringstream is(item);
    if (!(is >> x >> comma >> y) || comma != ',' || (is >> extra) || !a.inside({x, y}))
      throw SimError(fmt::format("{} '{}': expected 'all' or X,Y of a core inside the {}x{} grid", option, item,
                                 a.width, a.height));
    ids.push_back(a.id({x, y}));
  }
}

}  // namespace

int run_train_fx(const FxTrainOpts& o) {
  namespace fs = std::filesystem;
  // Refuse outputs that exist before spending any time (nothing of the user's is overwritten).
  for (const std::string& out : {o.svg, o.save_checkpoint, o.vcd, o.rtl_vcd, o.rtl_port_trace})
    if (!out.empty() && !o.force && fs::exists(out))
      throw SimError(fmt::format("{}: already exists; pass --force to overwrite it", out));
  FxConfig fc;
  fc.seed = o.seed;
  if (!parse_init(o.init, fc.init)) throw SimError(fmt::format("--init {}: unknown", o.init));
  fc.steps = o.steps;
  fc.shift_lr = rate_shift(o.lr, "--lr");
  fc.shift_v = rate_shift(o.eta_v, "--eta-v");

  const Mapping m = load_mapping(o.mapping);
  ImageSet tr = load_fashion_mnist(o.data, "train", o.train_samples);
  ImageSet te = load_fashion_mnist(o.data, "t10k", o.test_samples);
  check_model_fits_data(m.graph, tr, o.mapping);

  std::unique_ptr<FxEngine> eng;
  try {
    eng = o.engine == "cycle" ? make_cycle_engine(m, fc) : make_functional_engine(m, fc);
  } catch (const SimError& e) {
    throw SimError(fmt::format("{}: {}", o.mapping, e.what()));
  }
  if (!o.vcd.empty()) {
    if (o.engine != "cycle") throw SimError("--vcd needs --engine cycle (the functional engine has no time)");
    int x = -1, y = -1;
    char comma = 0;
    std::istringstream is(o.vcd_core);
    if (!(is >> x >> comma >> y) || comma != ',' || !m.arch.inside({x, y}))
      throw SimError(fmt::format("--vcd-core '{}': expected X,Y of a core inside the {}x{} grid", o.vcd_core,
                                 m.arch.width, m.arch.height));
    if (o.vcd_to <= o.vcd_from)
      throw SimError(fmt::format("--vcd-cycles {}:{}: expected FROM:TO with FROM < TO", o.vcd_from, o.vcd_to));
    enable_vcd(*eng, o.vcd, {x, y}, o.vcd_from, o.vcd_to);
  }
  if (!o.load_checkpoint.empty()) load_checkpoint(*eng, o.load_checkpoint);
  if (!o.faults.empty()) {
    const FaultSet fs = load_faults(o.faults, m.arch);
    for (const Fault& f : fs.faults)
      if (f.at_cycle >= 0 && o.engine != "cycle")
        throw SimError(
            fmt::format("{}: a fault at a cycle needs --engine cycle (the functional engine has no time)", o.faults));
    eng->set_faults(fs);
  }
  std::shared_ptr<Lockstep> rtl;
  if (!o.rtl_cores.empty() || !o.rtl_routers.empty()) {
    if (o.engine != "cycle") throw SimError("--rtl-cores/--rtl-routers need --engine cycle");
    LockstepConfig lc;
    parse_cores(o.rtl_cores, m.arch, "--rtl-cores", lc.cores, lc.all_cores);
    parse_cores(o.rtl_routers, m.arch, "--rtl-routers", lc.routers, lc.all_routers);
    lc.mutant = o.rtl_mutant;
    lc.netlist = o.rtl_netlist;
    lc.power_up_seed = uint32_t(o.rtl_power_up);
    if (lc.mutant && lc.netlist)
      throw SimError("--rtl-mutant and --rtl-netlist: choose one (the mutant is an RTL core, not a netlist)");
    if (!o.rtl_vcd.empty() || !o.rtl_port_trace.empty()) {
      // the one core both traces follow
      std::vector<int> id;
      bool all = false;
      parse_cores({o.vcd_core}, m.arch, "--vcd-core", id, all);
      if (all || id.size() != 1)
        throw SimError(fmt::format("--vcd-core '{}': expected one core X,Y (a trace follows one core)", o.vcd_core));
      if (!o.rtl_vcd.empty()) {
        lc.vcd = o.rtl_vcd;
        lc.vcd_core = id[0];
        lc.vcd_from = o.vcd_from;
        lc.vcd_to = o.vcd_to;
      }
      lc.port_trace = o.rtl_port_trace;
      lc.port_trace_core = o.rtl_port_trace.empty() ? -1 : id[0];
    }
    rtl = attach_lockstep(*eng, lc);
  } else if (!o.rtl_vcd.empty() || !o.rtl_port_trace.empty() || o.rtl_mutant || o.rtl_netlist || o.rtl_power_up_given) {
    throw SimError(
        "--rtl-vcd/--rtl-port-trace/--rtl-mutant/--rtl-netlist/--rtl-power-up need --rtl-cores or --rtl-routers");
  }

  const bool human = !o.json;
  int used_cores = 0;
  {
    std::vector<int> cores(m.core_of);
    std::sort(cores.begin(), cores.end());
    used_cores = int(std::unique(cores.begin(), cores.end()) - cores.begin());
  }
  if (human)
    fmt::print(
        "pcgrid train: mapping '{}' (model '{}', {} slices on {} cores of a {}x{} grid), engine {}\n"
        "  fixed prediction, T={}, eta_v=2^-{}, per-sample SGD lr=2^-{}, seed {}; {} train / {} test samples\n",
        o.mapping, m.graph.name, m.slices.size(), used_cores, m.arch.width, m.arch.height, eng->name(), eng->steps(),
        fc.shift_v, fc.shift_lr, fc.seed, tr.count, te.count);

  ProgressBar bar(ProgressBar::stderr_is_terminal());
  const int64_t px = tr.pixels();
  const int64_t total = tr.count * o.epochs;
  std::vector<int64_t> order(size_t(tr.count));
  std::vector<double> epoch_acc;
  int64_t correct = 0;
  const auto t0 = std::chrono::steady_clock::now();
  // The same sample order as the reference engines' training loop (models/src/train.cpp) for this seed.
  Rng shuffle_rng(o.seed ^ 0x5eed5eed5eed5eedULL);
  std::iota(order.begin(), order.end(), 0);
  for (int ep = 0; ep < o.epochs; ++ep) {
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[size_t(shuffle_rng.below(k))]);
    correct = 0;
    for (int64_t s = 0; s < tr.count; ++s) {
      const int64_t i = order[size_t(s)];
      const int label = tr.labels[size_t(i)];
      correct += eng->train(&tr.images[size_t(i * px)], label) == label;
      const int64_t done = int64_t(ep) * tr.count + s + 1;
      if ((done & 63) == 0 || done == total) {
        const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        bar.update(done, total, fmt::format("train {}/{}", ep + 1, o.epochs),
                   fmt::format("acc {:.1f}% {:.0f} samples/s", 100.0 * double(correct) / double(s + 1),
                               el > 0 ? double(done) / el : 0.0));
      }
    }
    epoch_acc.push_back(tr.count ? double(correct) / double(tr.count) : 0.0);
  }
  eng->sync();
  const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const SimStats after_train = eng->stats();

  // Test set, forward only, in chunks so the bar moves.
  const auto t1 = std::chrono::steady_clock::now();
  std::vector<int> pred(size_t(te.count));
  const int64_t chunk = 100;
  for (int64_t s = 0; s < te.count; s += chunk) {
    const int64_t n = std::min(chunk, te.count - s);
    eng->infer(&te.images[size_t(s * px)], n, px, &pred[size_t(s)]);
    bar.update(s + n, te.count, "test", "");
  }
  bar.finish();
  const double test_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  int64_t test_correct = 0;
  for (int64_t s = 0; s < te.count; ++s) test_correct += pred[size_t(s)] == te.labels[size_t(s)];
  const double test_acc = te.count ? double(test_correct) / double(te.count) : 0.0;
  const SimStats& all = eng->stats();

  // Figures of the training phase.
  const Arch& a = m.arch;
  const int64_t ns = std::max<int64_t>(1, after_train.train_samples);
  const bool timed = o.engine == "cycle";
  const double cyc_train = double(after_train.train_cycles) / double(ns);
  const double cyc_infer = all.infer_samples ? double(all.infer_cycles) / double(all.infer_samples) : 0.0;
  const double ideal = double(after_train.counters.macs) / double(a.mac_lanes * std::max(1, used_cores));
  const double util = timed && after_train.train_cycles ? ideal / double(after_train.train_cycles) : 0.0;
  const int64_t peak = after_train.link_flits.empty()
                           ? 0
                           : *std::max_element(after_train.link_flits.begin(), after_train.link_flits.end());
  const double e_sample = energy_pj(a, after_train.counters, after_train.flit_hops) / double(ns);

  if (!o.svg.empty()) {
    std::vector<double> load(size_t(a.cores()), 0.0);
    double mx = 0;
    for (int c = 0; c < a.cores(); ++c) {
      const double v = timed ? double(all.core_busy[size_t(c)]) : double(all.core_macs[size_t(c)]);
      load[size_t(c)] = v;
      mx = std::max(mx, v);
    }
    if (timed) {
      const double span = double(std::max<int64_t>(1, all.train_cycles + all.infer_cycles));
      for (auto& v : load) v /= span;
    } else if (mx > 0) {
      for (auto& v : load) v /= mx;
    }
    Mapping shown = m;  // the grid as it is now: dead cores, routers and links marked
    shown.arch = eng->live_arch();
    write_output(
        o.svg,
        grid_svg(shown, load, timed ? "busy fraction of simulated cycles" : "MACs relative to the busiest core",
                 all.link_flits, "flits in the whole run",
                 fmt::format("{} — engine {} — {} training + {} test samples", m.graph.name, eng->name(),
                             all.train_samples, all.infer_samples)),
        o.force);
  }
  if (!o.save_checkpoint.empty()) write_output(o.save_checkpoint, checkpoint_json(*eng), o.force);
  if (!o.vcd.empty()) finish_vcd(*eng);

  if (o.json) {
    json j;
    j["mapping"] = o.mapping;
    j["model"] = m.graph.name;
    j["engine"] = eng->name();
    j["grid"] = {a.width, a.height};
    j["cores_used"] = used_cores;
    j["steps"] = eng->steps();
    j["eta_v_shift"] = fc.shift_v;
    j["lr_shift"] = fc.shift_lr;
    j["seed"] = fc.seed;
    j["epochs"] = o.epochs;
    j["train_samples"] = tr.count;
    j["test_samples"] = te.count;
    j["train_acc_per_epoch"] = epoch_acc;
    j["test_acc"] = test_acc;
    j["train_seconds"] = train_seconds;
    j["test_seconds"] = test_seconds;
    j["train_samples_per_second"] = train_seconds > 0 ? double(after_train.train_samples) / train_seconds : 0.0;
    j["macs_per_train_sample"] = double(after_train.counters.macs) / double(ns);
    j["flit_hops_per_train_sample"] = double(after_train.flit_hops) / double(ns);
    j["messages_per_train_sample"] = double(after_train.messages) / double(ns);
    j["peak_link_flits_per_train_sample"] = double(peak) / double(ns);
    j["energy_uj_per_train_sample"] = e_sample * 1e-6;
    if (!o.faults.empty()) {
      const FaultStats& f = eng->fault_stats();
      j["faults"] = {{"file", o.faults},
                     {"dead_slices", f.dead_slices},
                     {"idle_slices", f.idle_slices},
                     {"lost_neurons", f.lost_neurons},
                     {"lost_weights", f.lost_weights},
                     {"missing_messages", f.missing_messages},
                     {"damaged_messages", f.damaged_messages},
                     {"dropped_flits", f.dropped_flits},
                     {"corrupted_flits", f.corrupted_flits},
                     {"lost_flits", f.lost_flits},
                     {"sram_bit_flips", f.sram_bit_flips},
                     {"stuck_bits", f.stuck_bits},
                     {"timeouts", f.timeouts},
                     {"lost_outputs", f.lost_outputs}};
    }
    if (timed) {
      j["cycles_per_train_sample"] = cyc_train;
      j["cycles_per_inference"] = cyc_infer;
      j["mac_utilisation"] = util;
      j["peak_link_load"] = after_train.train_cycles ? double(peak) / double(after_train.train_cycles) : 0.0;
      j["simulated_cycles"] = all.train_cycles + all.infer_cycles;
      j["us_per_train_sample_at_clock"] = cyc_train / a.clock_mhz;
    }
    if (rtl) j["rtl_lockstep"] = json::parse(rtl->report_json());
    fmt::print("{}\n", j.dump());
    return 0;
  }
  fmt::print("\n{:<34} {}\n", "figure", "value");
  auto row = [](const std::string& k, const std::string& v) { fmt::print("{:<34} {}\n", k, v); };
  for (size_t e = 0; e < epoch_acc.size(); ++e)
    row(fmt::format("train accuracy, epoch {}", e + 1), fmt::format("{:.2f} %", 100 * epoch_acc[e]));
  row("test accuracy", fmt::format("{:.2f} % ({} samples)", 100 * test_acc, te.count));
  if (timed) {
    row("cycles per training sample",
        fmt::format("{:.0f} ({:.1f} us at {} MHz)", cyc_train, cyc_train / a.clock_mhz, a.clock_mhz));
    row("cycles per inference", fmt::format("{:.0f}", cyc_infer));
    row("MAC-lane utilisation (training)", fmt::format("{:.1f} % (ideal {:.0f} cycles/sample on {} cores x {} lanes)",
                                                       100 * util, ideal / double(ns), used_cores, a.mac_lanes));
    row("peak link load (training)",
        fmt::format("{:.3f} flits/cycle",
                    after_train.train_cycles ? double(peak) / double(after_train.train_cycles) : 0.0));
  }
  row("MACs per training sample", fmt::format("{:.0f}", double(after_train.counters.macs) / double(ns)));
  row("NoC messages per training sample", fmt::format("{:.0f}", double(after_train.messages) / double(ns)));
  row("NoC flit-hops per training sample", fmt::format("{:.0f}", double(after_train.flit_hops) / double(ns)));
  row("busiest link, flits per sample", fmt::format("{:.0f}", double(peak) / double(ns)));
  row("energy per training sample", fmt::format("{:.2f} uJ (energy table of {})", e_sample * 1e-6, a.name));
  row("host time",
      fmt::format("{:.1f} s training ({:.0f} samples/s), {:.1f} s test", train_seconds,
                  train_seconds > 0 ? double(after_train.train_samples) / train_seconds : 0.0, test_seconds));
  if (!o.faults.empty()) {
    const FaultStats& f = eng->fault_stats();
    row("faults", o.faults);
    row("  dead / idle slices", fmt::format("{} / {} ({} neurons, {} weight words lost)", f.dead_slices, f.idle_slices,
                                            f.lost_neurons, f.lost_weights));
    row("  messages missing / damaged",
        fmt::format("{} / {} (zeros used instead)", f.missing_messages, f.damaged_messages));
    row("  flits dropped / corrupted / lost",
        fmt::format("{} / {} / {}", f.dropped_flits, f.corrupted_flits, f.lost_flits));
    row("  SRAM bits flipped / stuck", fmt::format("{} / {}", f.sram_bit_flips, f.stuck_bits));
    row("  waits ended by the bound", fmt::format("{}", f.timeouts));
    row("  predictions lost", fmt::format("{}", f.lost_outputs));
  }
  if (rtl) {
    const json r = json::parse(rtl->report_json());
    row("RTL lockstep",
        fmt::format("{} cores, {} routers {}: 0 mismatches", r["rtl_cores"].get<int>(), r["rtl_routers"].get<int>(),
                    r["netlist"].get<bool>() ? "as Yosys's iCE40 netlists (gate level)" : "on the Verilated RTL"));
    const int full = r["rtl_cores_full_build"].get<int>(), cores = r["rtl_cores"].get<int>();
    const auto seed = r["power_up_seed"].get<uint32_t>();
    const bool gates = r["netlist"].get<bool>();
    row("  power-up state",
        !seed   ? std::string("registers at 0")
        : gates ? fmt::format("SPRAM words and DSP registers random (seed {}); flip-flops at 0, as the iCE40 "
                              "configures them",
                              seed)
                : fmt::format("registers random (seed {})", seed));
    if (cores > 0)
      row("  core builds", fmt::format("{} with every unit (ACTS = ELEM = 1), {} as pcg_top's tile (ACTS = ELEM = 0)",
                                       full, cores - full));
    row("  compared", fmt::format("{} phase cycle counts, {} payload words, {} weight words, {} router grants",
                                  r["phases"].get<int64_t>(), r["payload_words"].get<int64_t>(),
                                  r["weight_words"].get<int64_t>(), r["router_grants"].get<int64_t>()));
    for (const auto& k : r["kept_on_systemc"]) row("  kept on the SystemC model", k.get<std::string>());
    if (!o.rtl_vcd.empty()) row("wrote", o.rtl_vcd);
    if (!o.rtl_port_trace.empty()) row("wrote", o.rtl_port_trace);
  }
  if (!o.svg.empty()) row("wrote", o.svg);
  if (!o.save_checkpoint.empty()) row("wrote", o.save_checkpoint);
  if (!o.vcd.empty()) row("wrote", o.vcd);
  return 0;
}

}  // namespace pcgrid::cli
