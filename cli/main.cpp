// pcgrid — command-line front end. Subcommands: inspect, train (more as the mapper and simulator land).
#include "damage.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "synth.hpp"
#include "train_fx.hpp"

#include "pcgrid/arch.hpp"
#include "pcgrid/dataset.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/kernel.hpp"
#include "pcgrid/mapping.hpp"
#include "pcgrid/reference.hpp"
#include "pcgrid/train.hpp"
#include "pcgrid/version.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

using namespace pcgrid;
using json = nlohmann::json;

struct InspectOpts {
  std::string model;
  bool json = false;
};

int run_inspect(const InspectOpts& o) {
  Graph g = load_model(o.model);
  if (!o.json) {
    fmt::print("{}", describe(g));
    return 0;
  }
  json j;
  j["model"] = g.name;
  j["vertices"] = json::array();
  for (size_t i : g.topo()) {
    const Vertex& v = g.v(i);
    json pv = json::array();
    for (auto p : g.parents(i)) pv.push_back(g.v(p).name);
    j["vertices"].push_back({{"name", v.name},
                             {"op", to_string(v.op)},
                             {"activation", to_string(v.act)},
                             {"shape", v.shape},
                             {"parents", pv},
                             {"params", g.param_owner(i) == i ? shape_size(g.weight_shape(i)) + g.bias_size(i) : 0},
                             {"loss", to_string(v.loss)}});
  }
  j["forward_macs"] = g.forward_macs();
  fmt::print("{}\n", j.dump());
  return 0;
}

struct TrainOpts {
  std::string model;
  std::string engine = "reference";
  std::string pc_mode = "fixed";
  std::string optimizer = "adam";
  std::string init = "xavier";
  std::string schedule = "cosine";
  std::string data = kFashionMnistDir;
  TrainConfig cfg;
  int64_t train_samples = 0, test_samples = 0;
  bool json = false;
};

int run_train(TrainOpts& o) {
  TrainConfig& c = o.cfg;
  if (o.engine == "reference")
    c.algo = Algo::PredictiveCoding;
  else if (o.engine == "backprop")
    c.algo = Algo::Backprop;
  c.pc.mode = o.pc_mode == "fixed" ? PcMode::FixedPrediction : PcMode::Standard;
  parse_opt(o.optimizer, c.opt.kind);
  parse_init(o.init, c.init);
  c.cosine = o.schedule == "cosine";

  Graph g = load_model(o.model);
  ImageSet tr = load_fashion_mnist(o.data, "train", o.train_samples);
  ImageSet te = load_fashion_mnist(o.data, "t10k", o.test_samples);
  check_model_fits_data(g, tr, o.model);

  const bool human = !o.json;
  if (human)
    fmt::print("pcgrid train: model '{}' ({} vertices, {} parameters), engine {}{}, {} train / {} test samples\n",
               g.name, g.size(), init_params(g, c.init, c.seed).count(), o.engine,
               c.algo == Algo::PredictiveCoding
                   ? fmt::format(" ({} PC, T={}, eta_v={})", o.pc_mode, c.pc.steps, c.pc.eta_v)
                   : "",
               tr.count, te.count);
  cli::ProgressBar bar(cli::ProgressBar::stderr_is_terminal());
  const int64_t total = tr.count * c.epochs;
  auto t0 = std::chrono::steady_clock::now();
  TrainResult r = train(g, tr, te, c, [&](int64_t done, int64_t per_epoch, int ep, double loss) {
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int64_t all = ep * per_epoch + done;
    bar.update(all, total, fmt::format("epoch {}/{}", ep + 1, c.epochs),
               fmt::format("loss {:.4f} {:.0f} samples/s", loss, el > 0 ? double(all) / el : 0.0));
  });
  bar.finish();

  const double final_acc = r.epochs.empty() ? 0.0 : r.epochs.back().test_acc;
  if (o.json) {
    json j;
    j["model"] = g.name;
    j["engine"] = o.engine;
    if (c.algo == Algo::PredictiveCoding) j["pc"] = {{"mode", o.pc_mode}, {"steps", c.pc.steps}, {"eta_v", c.pc.eta_v}};
    j["optimizer"] = {{"kind", o.optimizer}, {"lr", c.opt.lr}, {"schedule", o.schedule}};
    j["seed"] = c.seed;
    j["batch"] = c.batch;
    j["train_samples"] = tr.count;
    j["test_samples"] = te.count;
    j["epochs"] = json::array();
    for (const auto& e : r.epochs)
      j["epochs"].push_back({{"epoch", e.epoch},
                             {"train_loss", e.train_loss},
                             {"train_acc", e.train_acc},
                             {"test_acc", e.test_acc},
                             {"seconds", e.seconds}});
    j["test_acc"] = final_acc;
    j["train_seconds"] = r.train_seconds;
    j["samples_per_second"] = r.train_seconds > 0 ? double(r.samples) / r.train_seconds : 0.0;
    fmt::print("{}\n", j.dump());
    return 0;
  }
  fmt::print("\n{:>5}  {:>10}  {:>9}  {:>9}  {:>8}\n", "epoch", "train loss", "train acc", "test acc", "seconds");
  for (const auto& e : r.epochs)
    fmt::print("{:>5}  {:>10.4f}  {:>8.2f}%  {:>8.2f}%  {:>8.1f}\n", e.epoch, e.train_loss, 100 * e.train_acc,
               100 * e.test_acc, e.seconds);
  fmt::print("\ntest accuracy {:.2f}% after {} epoch(s), {:.0f} training samples/s\n", 100 * final_acc, r.epochs.size(),
             r.train_seconds > 0 ? double(r.samples) / r.train_seconds : 0.0);
  return 0;
}

struct MapOpts {
  std::string model, arch, out, svg;
  PlaceConfig place;
  bool json = false, force = false;
};

bool is_special_file(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  return std::filesystem::exists(st) && !std::filesystem::is_regular_file(st);
}

int run_map(const MapOpts& o) {
  const Arch a = o.arch.empty() ? default_arch() : load_arch(o.arch);
  Mapping m = map_model(o.model, a, o.place);
  const std::string out = o.out.empty() ? std::filesystem::path(o.model).stem().string() + ".mapping.json" : o.out;
  std::string svg = o.svg;
  // With -o /dev/null (or another device) and no --svg, no picture is written: "/dev/null.svg" is not
  // what anyone means.
  const bool want_svg = !o.svg.empty() || !is_special_file(out);
  if (svg.empty() && want_svg) {
    svg = out;
    const std::string ext = ".json";
    if (svg.size() > ext.size() && svg.compare(svg.size() - ext.size(), ext.size(), ext) == 0)
      svg.erase(svg.size() - ext.size());
    svg += ".svg";
  }
  for (const auto& f : {out, svg})
    if (!f.empty() && !o.force && std::filesystem::exists(f) && !is_special_file(f))
      throw MapError(fmt::format("{}: already exists; pass --force to overwrite it", f));
  cli::write_output(out, mapping_to_json(m), o.force);
  if (want_svg) cli::write_output(svg, mapping_svg(m), o.force);
  if (o.json) {
    json j = json::parse(mapping_to_json(m))["stats"];
    j["mapping_file"] = out;
    j["svg_file"] = svg;
    j["strategy"] = o.place.strategy;
    j["slices"] = m.slices.size();
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print("{}", mapping_summary(m));
    fmt::print(want_svg ? "wrote {} and {}\n" : "wrote {}{}\n", out, want_svg ? svg : "");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pcgrid — neuromorphic predictive-coding simulator and mapping toolchain"};
  app.set_version_flag("--version", std::string("pcgrid ") + PCGRID_VERSION);
  app.require_subcommand(1);

  InspectOpts io;
  auto* ins = app.add_subcommand("inspect", "Validate a model file and print its computation graph");
  ins->add_option("MODEL", io.model, "Model file (JSON, docs/model-format.md)")->required();
  ins->add_flag("--json", io.json, "Print machine-readable JSON instead of a table");

  TrainOpts to;
  TrainConfig& c = to.cfg;
  auto* tr = app.add_subcommand("train", "Train a model on Fashion-MNIST and report test accuracy");
  tr->add_option("MODEL", to.model,
                 "Model file (JSON, docs/model-format.md) for the reference and backprop engines; mapping file "
                 "(pcgrid map, docs/mapping-format.md) for the functional and cycle engines")
      ->required();
  tr->add_option("--engine", to.engine,
                 "reference = double-precision predictive coding; backprop = exact backprop; functional = the "
                 "fixed-point chip, untimed; cycle = the fixed-point chip on the cycle-level SystemC grid "
                 "(docs/simulator.md)")
      ->check(CLI::IsMember({"reference", "backprop", "functional", "cycle"}))
      ->capture_default_str();
  tr->add_option("--pc-mode", to.pc_mode,
                 "fixed = fixed-prediction assumption (stable, the default); standard = predictions recomputed every "
                 "step (diverges on the MLP as weights grow, see docs/algorithm.md)")
      ->check(CLI::IsMember({"standard", "fixed"}))
      ->capture_default_str();
  tr->add_option("-T,--steps", c.pc.steps, "Relaxation steps per sample")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  tr->add_flag("--precondition", c.pc.precondition,
               "Per-neuron inference rate eta_v / (1 + sum of squared weights reading the neuron)");
  tr->add_option("--eta-v", c.pc.eta_v, "Inference rate (value step size)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  tr->add_option("--optimizer", to.optimizer, "Weight step rule")
      ->check(CLI::IsMember({"adam", "sgd"}))
      ->capture_default_str();
  tr->add_option("--lr", c.opt.lr, "Weight learning rate")->check(CLI::Range(0.0, 100.0))->capture_default_str();
  tr->add_option("--lr-schedule", to.schedule, "constant, or cosine decay to 0 over the run")
      ->check(CLI::IsMember({"constant", "cosine"}))
      ->capture_default_str();
  tr->add_option("--momentum", c.opt.momentum, "SGD momentum")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  tr->add_option("--weight-decay", c.opt.weight_decay, "L2 weight decay")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  tr->add_option("--batch", c.batch, "Mini-batch size")->check(CLI::Range(1, 65536))->capture_default_str();
  tr->add_option("--epochs", c.epochs, "Passes over the training samples")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  tr->add_option("--seed", c.seed, "Seed for initialisation and shuffling")->capture_default_str();
  tr->add_option("--init", to.init, "Weight initialisation")
      ->check(CLI::IsMember({"xavier", "he", "normal"}))
      ->capture_default_str();
  tr->add_option("--data", to.data, "Directory with the Fashion-MNIST IDX files")->capture_default_str();
  tr->add_option("--train-samples", to.train_samples, "Use only the first N training samples (0 = all)")
      ->check(CLI::NonNegativeNumber);
  tr->add_option("--test-samples", to.test_samples, "Use only the first N test samples (0 = all)")
      ->check(CLI::NonNegativeNumber);
  tr->add_flag("--json", to.json, "Print one machine-readable JSON object instead of tables");
  cli::FxTrainOpts fo;
  tr->add_option("--svg", fo.svg, "functional/cycle: write a heat map of per-core activity and link traffic");
  tr->add_option("--save-checkpoint", fo.save_checkpoint,
                 "functional/cycle: write the trained weights (docs/checkpoint-format.md)");
  tr->add_option("--load-checkpoint", fo.load_checkpoint, "functional/cycle: start from these weights");
  tr->add_option("--faults", fo.faults, "functional/cycle: inject the faults of this file (docs/faults.md)");
  tr->add_option("--vcd", fo.vcd, "cycle: write a VCD trace of one core and its router");
  tr->add_option("--vcd-core", fo.vcd_core, "cycle: the traced core (--vcd, --rtl-vcd, --rtl-port-trace) as X,Y")
      ->default_str("0,0");
  std::string vcd_cycles = "0:10000";
  tr->add_option("--vcd-cycles", vcd_cycles, "cycle: the traced window FROM:TO in simulated cycles")
      ->capture_default_str();
  tr->add_option("--rtl-cores", fo.rtl_cores,
                 "cycle: run these cores (X,Y, repeatable, or 'all') on the Verilated RTL in lockstep (docs/rtl.md)");
  tr->add_option("--rtl-routers", fo.rtl_routers, "cycle: run these routers (X,Y or 'all') on the Verilated RTL");
  tr->add_option("--rtl-vcd", fo.rtl_vcd,
                 "cycle: VCD of the RTL core (and FILE.router.vcd) of --vcd-core over --vcd-cycles");
  tr->add_option("--rtl-port-trace", fo.rtl_port_trace,
                 "cycle: JSON lines of every memory-port write, command and read of the RTL core at --vcd-core, "
                 "to replay on a board (scripts/board_host.py replay; docs/rtl.md)");
  tr->add_flag("--rtl-mutant", fo.rtl_mutant,
               "cycle: use the deliberately broken core (rounding bit flipped) to see the scoreboard catch it");
  tr->add_flag("--rtl-netlist", fo.rtl_netlist,
               "cycle: run the RTL cores and routers as Yosys's iCE40 netlists of pcg_core and pcg_router (gate level: "
               "synth_ice40 -dsp -spram over the cell models, Verilated; docs/rtl.md)");
  tr->add_option("--rtl-power-up", fo.rtl_power_up,
                 "cycle: the RTL models start with every register random from this seed, as flip-flops without a "
                 "reset may power up (0: every register at 0); memories start at 0 as the iCE40's block RAMs do")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(0), int64_t(2147483647)));
  tr->add_flag("--force", fo.force, "functional/cycle: overwrite existing output files");

  MapOpts mo;
  std::string strategies;
  for (const auto& [n, p] : placers()) strategies += fmt::format("\n  {:<9} {}", n, p->help());
  auto* mp =
      app.add_subcommand("map", "Slice, place and route a model onto a grid of cores; write a mapping file and an SVG");
  mp->add_option("MODEL", mo.model, "Model file (JSON, docs/model-format.md)")->required();
  mp->add_option("--arch", mo.arch,
                 "Architecture file (JSON, docs/arch-format.md); default: built-in defaults (arch/default.json)");
  mp->add_option("-o,--output", mo.out, "Mapping file to write (default: MODEL-stem.mapping.json)");
  mp->add_option("--svg", mo.svg, "SVG picture to write (default: the mapping file name with .svg)");
  mp->add_option("--strategy", mo.place.strategy, "Placement strategy:" + strategies)->capture_default_str();
  mp->add_option("--seed", mo.place.seed, "Seed of the placement strategy")->capture_default_str();
  mp->add_option("--balance-slack", mo.place.balance_slack,
                 "A core may carry at most max(largest slice, (1+slack) x mean) MACs")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  mp->add_option("--effort", mo.place.effort, "Annealing effort (scales the number of moves)")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  mp->add_flag("--force", mo.force, "Overwrite existing output files");
  mp->add_flag_callback(
      "--help-arch",
      [] {
        fmt::print("{}", arch_keys_help());
        throw CLI::Success();
      },
      "List every architecture-file key with its default, unit and meaning, and exit");
  mp->add_flag("--json", mo.json, "Print the statistics as one JSON object");

  cli::DamageOpts dmo;
  dmo.data = kFashionMnistDir;
  auto* dm = app.add_subcommand(
      "damage",
      "Damage the chip (dead cores, a cut in half), measure accuracy, recover by retraining in place or by "
      "remapping onto spare cores; write CSV, an SVG plot and grid pictures (docs/faults.md)");
  dm->add_option("MAPPING", dmo.mapping, "Mapping file (pcgrid map)")->required();
  dm->add_option("--levels", dmo.levels,
                 "Damage levels: percentages of the grid's cores (compute dead, routers alive) and/or 'half' (the "
                 "half of the grid away from the host tile: cores and routers dead)")
      ->capture_default_str();
  dm->add_option("--recovery", dmo.recovery, "Recovery modes: none, retrain (in place), remap (+ retrain)")
      ->capture_default_str();
  dm->add_option("--retrain-samples", dmo.retrain_samples, "Retraining budget per recovery, in training samples")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 40))
      ->capture_default_str();
  dm->add_option("--pretrain-samples", dmo.pretrain_samples,
                 "Training samples for the undamaged chip (0 = one epoch of the whole training set)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 40))
      ->capture_default_str();
  dm->add_option("--trials", dmo.trials,
                 "Repeat every random damage level with fault seeds seed, seed+1, ... (the plot shows medians)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  dm->add_option("--checkpoint", dmo.checkpoint, "Start from these trained weights instead of training");
  dm->add_option("--test-samples", dmo.test_samples, "Test images per measurement (0 = all 10,000)")
      ->check(CLI::NonNegativeNumber);
  dm->add_option("--seed", dmo.seed, "Seed of the weights, the rounding and the choice of dead cores")
      ->capture_default_str();
  dm->add_option("--lr", dmo.lr, "Weight rate for training the undamaged chip, a power of two")->capture_default_str();
  dm->add_option("--retrain-lr", dmo.retrain_lr, "Weight rate for recovery (fine-tuning), a power of two")
      ->capture_default_str();
  dm->add_option("--data", dmo.data, "Directory with the Fashion-MNIST IDX files")->capture_default_str();
  dm->add_option("-o,--output-dir", dmo.out_dir, "Directory for damage.csv, damage.svg, damage.json, grid-*.svg")
      ->capture_default_str();
  dm->add_flag("--json", dmo.json, "Print one JSON object instead of the table");
  dm->add_flag("--force", dmo.force, "Overwrite existing output files");

  cli::SynthOpts so;
  auto* sy = app.add_subcommand(
      "synth",
      "Synthesise one grid tile (rtl/pcg_top.sv: a pcg_core and a pcg_router) for an iCE40 with Yosys, "
      "nextpnr-ice40 and icepack; report LCs, FFs, DSPs, SPRAM, BRAM and Fmax (docs/synthesis.md)");
  sy->add_option("--target", so.target,
                 "up5k = iCE40UP5K sg48 (SB_MAC16 DSPs, SPRAM); hx8k = iCE40HX8K ct256 (no DSP or SPRAM: "
                 "multipliers in logic, core SRAM shrunk to 512 words of BRAM, 1024 with SMAX=0 and ACTS=0)")
      ->check(CLI::IsMember({"up5k", "hx8k"}))
      ->capture_default_str();
  sy->add_option("--seeds", so.seeds, "Place and route with nextpnr --seed 1..N; Fmax is the median over seeds")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  sy->add_option("--freq", so.freq, "Target clock in MHz")->check(CLI::Range(1.0, 1000.0))->capture_default_str();
  sy->add_option("--rtl", so.rtl,
                 "RTL directory with pcg_top.sv, pcg_core.sv, pcg_softmax.sv, pcg_act.sv, pcg_sdp_ram.sv, "
                 "pcg_router.sv and synth/ice40.ys.in "
                 "(default: the "
                 "source tree's rtl/)");
  sy->add_option("--out", so.out,
                 "Work directory for the netlist, logs, reports, bitstream and synth.json (default: ./synth-TARGET)");
  sy->add_option("--pcf", so.pcf, "Pin constraints for nextpnr (default: none, nextpnr places the I/O)");
  sy->add_option("--param", so.params, "Override a pcg_top parameter, NAME=VALUE (repeatable), e.g. MY_X=3");
  sy->add_flag("--json", so.json, "Print one JSON line instead of the table");
  sy->add_flag("--force", so.force, "Write into an existing non-empty --out directory");

  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto* sc : app.get_subcommands({})) {
      known = known || sc->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sc->get_name();
    }
    if (!known) {
      fmt::print(stderr, "pcgrid: error: unknown subcommand '{}' (expected one of: {}; see pcgrid --help)\n", argv[1],
                 names);
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*ins) return run_inspect(io);
    if (*mp) return run_map(mo);
    if (*dm) return cli::run_damage(dmo);
    if (*sy) return cli::run_synth(so);
    if (*tr && (to.engine == "functional" || to.engine == "cycle")) {
      // Options of the double engines that the fixed-point chip does not have, or has with other defaults.
      auto given = [&](const char* name) { return tr->get_option(name)->count() > 0; };
      if (given("--optimizer") && to.optimizer != "sgd")
        throw SimError("--optimizer " + to.optimizer + ": the fixed-point engines learn with per-sample SGD only");
      if (given("--batch") && to.cfg.batch != 1)
        throw SimError("--batch: the fixed-point engines update weights after every sample (batch 1)");
      if (given("--lr-schedule") && to.schedule != "constant")
        throw SimError("--lr-schedule " + to.schedule + ": the fixed-point engines use a constant rate");
      if (given("--pc-mode") && to.pc_mode != "fixed")
        throw SimError("--pc-mode " + to.pc_mode + ": the fixed-point engines implement the fixed-prediction mode");
      for (const char* opt : {"--precondition", "--momentum", "--weight-decay"})
        if (given(opt))
          throw SimError(std::string(opt) +
                         ": not available on the fixed-point engines (plain per-sample SGD, fixed prediction)");
      fo.mapping = to.model;
      fo.engine = to.engine;
      fo.data = to.data;
      fo.seed = to.cfg.seed;
      fo.init = to.init;
      fo.epochs = given("--epochs") ? to.cfg.epochs : 1;
      fo.steps = given("--steps") ? to.cfg.pc.steps : -1;
      if (given("--lr")) fo.lr = to.cfg.opt.lr;
      if (given("--eta-v")) fo.eta_v = to.cfg.pc.eta_v;
      fo.train_samples = to.train_samples;
      fo.test_samples = to.test_samples;
      fo.json = to.json;
      const auto colon = vcd_cycles.find(':');
      try {
        if (colon == std::string::npos) throw std::invalid_argument("no colon");
        fo.vcd_from = std::stoll(vcd_cycles.substr(0, colon));
        fo.vcd_to = std::stoll(vcd_cycles.substr(colon + 1));
      } catch (const std::exception&) {
        throw SimError("--vcd-cycles '" + vcd_cycles + "': expected FROM:TO, two cycle numbers");
      }
      if (fo.vcd_core.empty()) fo.vcd_core = "0,0";
      fo.rtl_power_up_given = tr->get_option("--rtl-power-up")->count() > 0;
      return cli::run_train_fx(fo);
    }
    if (*tr) {
      for (const char* o :
           {"--svg", "--save-checkpoint", "--load-checkpoint", "--vcd", "--force", "--faults", "--rtl-cores",
            "--rtl-routers", "--rtl-vcd", "--rtl-port-trace", "--rtl-mutant", "--rtl-netlist", "--rtl-power-up"})
        if (tr->get_option(o)->count() > 0) throw SimError(std::string(o) + " needs --engine functional or cycle");
      return run_train(to);
    }
  } catch (const ModelError& e) {
    fmt::print(stderr, "pcgrid: error: {}\n", e.what());
    return 2;
  } catch (const MapError& e) {
    fmt::print(stderr, "pcgrid: error: {}\n", e.what());
    return 2;
  } catch (const ArchError& e) {
    fmt::print(stderr, "pcgrid: error: {}\n", e.what());
    return 2;
  } catch (const SimError& e) {
    fmt::print(stderr, "pcgrid: error: {}\n", e.what());
    return 2;
  } catch (const DataError& e) {
    fmt::print(stderr, "pcgrid: error: {}\n", e.what());
    return 2;
  } catch (const cli::SynthError& e) {
    fmt::print(stderr, "pcgrid: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "pcgrid: internal error: {}\n", e.what());
    return 3;
  }
  return 0;
}
