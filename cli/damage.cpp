// `pcgrid damage MAPPING` (damage.hpp, docs/faults.md).
//
// 1. Train the undamaged chip (or load a checkpoint) and measure it: the baseline.
// 2. For every damage level × recovery mode, from the same trained weights:
//      kill the level's cores (a seeded random fraction of the grid's cores, compute dead, routers alive;
//      or "half": the half of the grid away from the host tile, cores and routers dead),
//      measure the accuracy immediately, then recover:
//        none    — nothing;
//        retrain — keep training the damaged chip in place (dead slices contribute zeros);
//        remap   — map the network again onto the surviving cores; live slices move with their weights,
//                  slices of dead cores restart from their initial weights; then retrain;
//      and measure again.
// 3. Write a CSV, an SVG plot of accuracy against damage and grid pictures, print a table.
#include "damage.hpp"

#include "output.hpp"
#include "progress.hpp"
#include "train_fx.hpp"

#include "pcgrid/checkpoint.hpp"
#include "pcgrid/dataset.hpp"
#include "pcgrid/engine.hpp"
#include "pcgrid/faults.hpp"
#include "pcgrid/train.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <sstream>

namespace pcgrid::cli {

using json = nlohmann::json;

namespace {

struct Level {
  std::string label;
  double fraction = 0;  // of the grid's cores
  bool half = false;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string t;
  while (std::getline(ss, t, ','))
    if (!t.empty()) out.push_back(t);
  return out;
}

std::vector<Level> parse_levels(const std::string& s) {
  std::vector<Level> out;
  for (const std::string& t : split(s)) {
    Level l;
    if (t == "half") {
      l.label = "half";
      l.half = true;
    } else {
      size_t used = 0;
      double pct = -1;
      try {
        pct = std::stod(t, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != t.size() || !(pct >= 0 && pct <= 100))
        throw SimError(fmt::format("--levels: '{}' is not a percentage 0..100 or 'half'", t));
      l.label = t + "%";
      l.fraction = pct / 100.0;
    }
    out.push_back(l);
  }
  if (out.empty()) throw SimError("--levels: give at least one level, e.g. 0,25,half");
  return out;
}

struct Row {
  std::string level, recovery;
  int trial = 0;
  bool output_lost = false;  // the output slice died: no prediction can reach the host
  int inputs_lost = 0;       // input slices that died (their pixels are replaced by zeros)
  int dead_cores = 0, dead_slices = 0, moved_slices = 0;
  int64_t lost_neurons = 0, lost_weights = 0, missing_messages = 0;
  double acc_damaged = 0, acc_recovered = 0;
  double seconds = 0;
};

double evaluate(FxEngine& e, const ImageSet& te) {
  std::vector<int> pred(size_t(te.count));
  const int64_t px = te.pixels();
  for (int64_t s = 0; s < te.count; s += 500) {
    const int64_t n = std::min<int64_t>(500, te.count - s);
    e.infer(&te.images[size_t(s * px)], n, px, &pred[size_t(s)]);
  }
  int64_t ok = 0;
  for (int64_t s = 0; s < te.count; ++s) ok += pred[size_t(s)] == te.labels[size_t(s)];
  return te.count ? double(ok) / double(te.count) : 0.0;
}

void train_on(FxEngine& e, const ImageSet& tr, int64_t n, uint64_t seed, ProgressBar& bar, const std::string& what) {
  std::vector<int64_t> order(size_t(tr.count));
  std::iota(order.begin(), order.end(), 0);
  Rng r(seed ^ 0x5eed5eed5eed5eedULL);
  const int64_t px = tr.pixels();
  for (int64_t done = 0; done < n;) {
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[size_t(r.below(k))]);
    for (size_t k = 0; k < order.size() && done < n; ++k, ++done) {
      const int64_t i = order[k];
      e.train(&tr.images[size_t(i * px)], tr.labels[size_t(i)]);
      if ((done & 255) == 0) bar.update(done, n, what, "");
    }
  }
}

// The SVG plot: accuracy (y) against damage level (x), one line per recovery mode, the baseline dashed.
std::string plot_svg(const std::vector<Level>& levels, const std::vector<std::string>& modes,
                     const std::vector<Row>& rows, double baseline, const std::string& title,
                     const std::string& subtitle) {
  const int W = 860, H = 460, L = 70, R = 220, T = 70, B = 60;
  const double pw = W - L - R, ph = H - T - B;
  auto X = [&](size_t i) { return L + (levels.size() > 1 ? pw * double(i) / double(levels.size() - 1) : pw / 2); };
  auto Y = [&](double acc) { return T + ph * (1.0 - acc); };
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"25\" font-size=\"14\">{}</text>\n<text x=\"{}\" y=\"45\" fill=\"#666\">{}</text>\n",
      W, H, L, title, L, subtitle);
  for (int k = 0; k <= 10; ++k) {
    const double y = Y(k / 10.0);
    o += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#eee\"/>", L, y, L + pw, y);
    o += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}%</text>\n", L - 6, y + 4, k * 10);
  }
  for (size_t i = 0; i < levels.size(); ++i)
    o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", X(i), T + ph + 20,
                     levels[i].half ? "cut in half" : levels[i].label + " of cores");
  o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">damage</text>\n", L + pw / 2, H - 12);
  o += fmt::format(
      "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#444\" stroke-dasharray=\"6,4\"/>"
      "<text x=\"{}\" y=\"{}\" fill=\"#444\">- - undamaged {:.1f}%</text>\n",
      L, Y(baseline), L + pw, Y(baseline), L + pw + 16, T + 10, 100 * baseline);
  const char* colours[] = {"#c0392b", "#2471a3", "#229954", "#7d3c98"};
  // "after damage" (the same for every mode: take the first) and one line per mode after recovery.
  std::vector<std::pair<std::string, std::vector<double>>> series;
  // Medians over trials.
  auto median_of = [&](const std::string& level, const std::string& mode, bool recovered) {
    std::vector<double> v;
    for (const Row& r : rows)
      if (r.level == level && (mode.empty() ? r.recovery == rows.front().recovery : r.recovery == mode))
        v.push_back(recovered ? r.acc_recovered : r.acc_damaged);
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  };
  std::vector<double> dmg;
  for (const Level& l : levels) dmg.push_back(median_of(l.label, "", false));
  series.push_back({"right after damage", dmg});
  for (const std::string& m : modes) {
    if (m == "none") continue;
    std::vector<double> v;
    for (const Level& l : levels) v.push_back(median_of(l.label, m, true));
    series.push_back({m == "retrain" ? "retrained in place" : "remapped + retrained", v});
  }
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& [name, v] = series[k];
    std::string pts;
    for (size_t i = 0; i < v.size(); ++i) pts += fmt::format("{:.1f},{:.1f} ", X(i), Y(v[i]));
    o += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", pts, colours[k % 4]);
    for (size_t i = 0; i < v.size(); ++i)
      o += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"><title>{}: {:.2f}%</title></circle>\n",
                       X(i), Y(v[i]), colours[k % 4], name, 100 * v[i]);
    o += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>\n", L + pw + 16, T + 20 * int(k) + 30,
                     colours[k % 4], name);
  }
  o += "</svg>\n";
  return o;
}

}  // namespace

int run_damage(const DamageOpts& o) {
  namespace fs = std::filesystem;
  const std::vector<Level> levels = parse_levels(o.levels);
  const std::vector<std::string> modes = split(o.recovery);
  for (const std::string& m : modes)
    if (m != "none" && m != "retrain" && m != "remap")
      throw SimError(fmt::format("--recovery: unknown mode '{}' (expected none, retrain, remap)", m));
  if (modes.empty()) throw SimError("--recovery: give at least one mode");
  FxConfig fc;
  fc.seed = o.seed;
  fc.shift_lr = rate_shift(o.lr, "--lr");
  FxConfig rc = fc;  // recovery
  rc.shift_lr = rate_shift(o.retrain_lr, "--retrain-lr");
  // Outputs: refuse to overwrite before doing any work.
  const fs::path dir = o.out_dir;
  const std::string csv = (dir / "damage.csv").string(), svg = (dir / "damage.svg").string(),
                    js = (dir / "damage.json").string();
  std::vector<std::string> outputs{csv, svg, js};
  for (const Level& l : levels) {
    std::string tag = l.half ? "half" : fmt::format("{}", l.label.substr(0, l.label.size() - 1));
    outputs.push_back((dir / ("grid-" + tag + "-damaged.svg")).string());
    if (std::find(modes.begin(), modes.end(), "remap") != modes.end())
      outputs.push_back((dir / ("grid-" + tag + "-remapped.svg")).string());
  }
  if (!o.force)
    for (const std::string& f : outputs)
      if (fs::exists(f)) throw SimError(fmt::format("{}: already exists; pass --force to overwrite it", f));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw SimError(fmt::format("{}: cannot create the output directory: {}", dir.string(), ec.message()));

  const Mapping m = load_mapping(o.mapping);
  const ImageSet tr = load_fashion_mnist(o.data, "train", 0);
  const ImageSet te = load_fashion_mnist(o.data, "t10k", o.test_samples);
  check_model_fits_data(m.graph, tr, o.mapping);
  ProgressBar bar(ProgressBar::stderr_is_terminal());
  const bool human = !o.json;
  const auto t_all = std::chrono::steady_clock::now();

  // 1. The undamaged chip.
  std::string trained;
  {
    std::unique_ptr<FxEngine> e;
    try {
      e = make_functional_engine(m, fc);
    } catch (const SimError& x) {
      throw SimError(fmt::format("{}: {}", o.mapping, x.what()));
    }
    if (!o.checkpoint.empty()) {
      load_checkpoint(*e, o.checkpoint);
    } else {
      const int64_t n = o.pretrain_samples > 0 ? o.pretrain_samples : tr.count;
      if (human) fmt::print("pcgrid damage: training the undamaged chip on {} samples (functional engine)\n", n);
      train_on(*e, tr, n, o.seed, bar, "pretrain");
    }
    trained = checkpoint_json(*e);
  }
  auto fresh = [&](const Mapping& mm) {
    auto e = make_functional_engine(mm, rc);
    load_checkpoint_text(*e, trained, "the trained weights");
    return e;
  };
  double baseline = 0;
  {
    auto e = fresh(m);
    baseline = evaluate(*e, te);
  }
  bar.finish();
  if (human)
    fmt::print(
        "undamaged: {:.2f} % test accuracy on {} images; damage levels {}, recovery {}, {} retraining "
        "samples\n",
        100 * baseline, te.count, o.levels, o.recovery, o.retrain_samples);

  // 2. The sweep.
  std::vector<Row> rows;
  for (size_t li = 0; li < levels.size(); ++li) {
    const Level& lv = levels[li];
    const int trials = (lv.half || lv.fraction == 0) ? 1 : std::max(1, o.trials);
    for (int trial = 0; trial < trials; ++trial) {
      FaultSet fset;
      fset.seed = o.seed + uint64_t(trial);
      Fault f;
      f.kind = FaultKind::DeadCore;
      if (lv.half) {
        f.region = "far_half";
        f.router_dies = true;
      } else {
        f.fraction = lv.fraction;
      }
      if (lv.half || lv.fraction > 0) fset.faults.push_back(f);
      const std::string tag = lv.half ? "half" : lv.label.substr(0, lv.label.size() - 1);
      for (const std::string& mode : modes) {
        const auto t0 = std::chrono::steady_clock::now();
        Row row;
        row.level = lv.label;
        row.recovery = mode;
        row.trial = trial;
        auto e = fresh(m);
        e->set_faults(fset);
        e->apply_due_faults(0);
        for (size_t s = 0; s < m.slices.size(); ++s) {
          row.dead_slices += e->slice_dead(int(s));
          row.output_lost |= m.slices[s].is_output && e->slice_dead(int(s));
          row.inputs_lost += m.slices[s].is_input && e->slice_dead(int(s));
        }
        row.dead_cores = int(e->live_arch().dead_cores.size());
        row.lost_neurons = e->fault_stats().lost_neurons;
        row.lost_weights = e->fault_stats().lost_weights;
        row.acc_damaged = evaluate(*e, te);
        if (trial == 0 && (mode == "none" || mode == modes.front())) {
          Mapping shown = m;
          shown.arch = e->live_arch();
          write_output((dir / ("grid-" + tag + "-damaged.svg")).string(), mapping_svg(shown), true);
        }
        if (mode == "none") {
          row.acc_recovered = row.acc_damaged;
        } else if (mode == "retrain") {
          train_on(*e, tr, o.retrain_samples, o.seed + 1, bar, fmt::format("{} retrain", lv.label));
          row.acc_recovered = evaluate(*e, te);
          row.missing_messages = e->fault_stats().missing_messages;
        } else {
          // Remap onto the surviving cores. Slicing depends only on the core sizes, so slice k of the new
          // mapping is slice k of the old one.
          Arch a2 = e->live_arch();
          const Mapping m2 = map_graph(m.graph, m.model_json, a2, m.config);
          if (m2.slices.size() != m.slices.size()) throw SimError("remapping changed the slicing; cannot move weights");
          auto e2 = make_functional_engine(m2, rc);
          for (size_t s = 0; s < m.slices.size(); ++s) {
            if (e->slice_dead(int(s))) continue;  // lost: restarts from its initial weights
            e2->kernels()[s].weights() = e->kernels()[s].weights();
            e2->kernels()[s].biases() = e->kernels()[s].biases();
            row.moved_slices += m2.core_of[s] != m.core_of[s];
          }
          if (trial == 0) write_output((dir / ("grid-" + tag + "-remapped.svg")).string(), mapping_svg(m2), true);
          train_on(*e2, tr, o.retrain_samples, o.seed + 1, bar, fmt::format("{} remap", lv.label));
          row.acc_recovered = evaluate(*e2, te);
          row.missing_messages = e2->fault_stats().missing_messages;
        }
        row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rows.push_back(row);
      }
    }
  }
  bar.finish();

  // 3. Outputs.
  std::string c =
      "level,trial,recovery,dead_cores,dead_slices,output_lost,inputs_lost,lost_neurons,lost_weights,moved_slices,"
      "acc_undamaged,acc_damaged,acc_recovered,recovered_minus_undamaged_pp,retrain_samples,seconds\n";
  for (const Row& r : rows)
    c += fmt::format("{},{},{},{},{},{},{},{},{},{},{:.4f},{:.4f},{:.4f},{:.2f},{},{:.1f}\n", r.level, r.trial,
                     r.recovery, r.dead_cores, r.dead_slices, r.output_lost ? 1 : 0, r.inputs_lost, r.lost_neurons,
                     r.lost_weights, r.moved_slices, baseline, r.acc_damaged, r.acc_recovered,
                     100 * (r.acc_recovered - baseline), r.recovery == "none" ? 0 : o.retrain_samples, r.seconds);
  write_output(csv, c, true);
  write_output(
      svg,
      plot_svg(levels, modes, rows, baseline,
               fmt::format("{} on {}x{}: test accuracy against damage", m.graph.name, m.arch.width, m.arch.height),
               fmt::format("{} retraining samples per recovery; random levels: median of {} trial(s); 0 % = no "
                           "predictions (output core dead)",
                           o.retrain_samples, std::max(1, o.trials))),
      true);
  json j;
  j["mapping"] = o.mapping;
  j["model"] = m.graph.name;
  j["seed"] = o.seed;
  j["test_samples"] = te.count;
  j["retrain_samples"] = o.retrain_samples;
  j["acc_undamaged"] = baseline;
  j["rows"] = json::array();
  for (const Row& r : rows)
    j["rows"].push_back({{"level", r.level},
                         {"trial", r.trial},
                         {"output_lost", r.output_lost},
                         {"inputs_lost", r.inputs_lost},
                         {"recovery", r.recovery},
                         {"dead_cores", r.dead_cores},
                         {"dead_slices", r.dead_slices},
                         {"lost_neurons", r.lost_neurons},
                         {"lost_weights", r.lost_weights},
                         {"moved_slices", r.moved_slices},
                         {"acc_damaged", r.acc_damaged},
                         {"acc_recovered", r.acc_recovered},
                         {"seconds", r.seconds}});
  j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();
  write_output(js, j.dump() + "\n", true);
  if (o.json) {
    fmt::print("{}\n", j.dump());
    return 0;
  }
  fmt::print("\n{:<8} {:>5} {:<8} {:>10} {:>11} {:>7} {:>13} {:>13} {:>12}\n", "damage", "trial", "recovery",
             "dead cores", "dead slices", "output", "after damage", "after recov.", "vs undamaged");
  for (const Row& r : rows)
    fmt::print("{:<8} {:>5} {:<8} {:>10} {:>8}/{:<2} {:>7} {:>12.2f}% {:>12.2f}% {:>+9.2f} pp\n", r.level, r.trial,
               r.recovery, r.dead_cores, r.dead_slices, m.slices.size(), r.output_lost ? "dead" : "alive",
               100 * r.acc_damaged, 100 * r.acc_recovered, 100 * (r.acc_recovered - baseline));
  fmt::print("\nundamaged {:.2f} %; wrote {}, {}, {} and grid pictures in {}\n", 100 * baseline, csv, svg, js,
             dir.string());
  return 0;
}

}  // namespace pcgrid::cli
