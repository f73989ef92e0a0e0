// Benchmark of pcgrid's placement strategies against Scotch's static mapping onto a 2-D mesh
// (docs/benchmarks-mapper.md). Each measurement is one JSON line on stdout.
//
//   pcgrid_bench_mapper [compare] [--grids 6x6,8x8,12x12,16x16] [--repeats 5] [--models DIR]
//                       [--scotch-quality] [--scotch-balance 0.05]
//       every zoo model × grid: slices, flit-hops per relaxation step and placement time (median of R runs)
//       of rowmajor, greedy, anneal (pcgrid's placers), scotch (SCOTCH_graphMap onto SCOTCH_archMesh2 of the
//       whole grid), scotch+repair (the same, then a capacity repair), and scotch-best / scotch-best+repair
//       (the best of several Scotch strategies × target sub-meshes, raw and repaired); then one summary
//       line (geometric-mean flit-hop ratios vs scotch+repair and vs scotch-best+repair, cases where
//       anneal is worse, worst cases). A (model, grid) that does not fit gives one "skipped" line.
//   pcgrid_bench_mapper scaling [--scaling-grid 40x40] [--scaling-repeats 3]   (or: pcgrid_bench_mapper --scaling)
//       generated MLPs of growing size (1×, 4×, 16×, 64× the slices of the smallest): placement time of
//       greedy and anneal, and the time ratio per 4× slices.
//   pcgrid_bench_mapper default [--model M] [--repeats 5]
//       map_graph of models/zoo/mlp_fmnist.json on default_arch() with the default PlaceConfig, median of R.
//   pcgrid_bench_mapper all
//       compare, scaling and default in one run.
//
// The placement problem is built exactly as map_graph builds it (slice_graph, slice_flows, make_problem);
// map_seconds of a strategy is the time of the placement step alone (slicing and flows are common to all).
#include "pcgrid/arch.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/mapping.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <stdint.h>
#include <stdio.h>
extern "C" {
#include <scotch.h>
}

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

#include "bench_util.hpp"

using namespace pcgrid;
using json = nlohmann::json;

namespace {

using bench::median;
using bench::seconds_since;

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Runs `f` `repeats` times; returns the last result, the median wall time and the median process CPU time
// (less disturbed than wall time when other jobs share the machine).
template <class F>
auto timed(int repeats, F&& f) {
  std::vector<double> t, cpu;
  decltype(f()) r{};
  for (int k = 0; k < std::max(1, repeats); ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = process_cpu_seconds();
    r = f();
    cpu.push_back(process_cpu_seconds() - c0);
    t.push_back(seconds_since(t0));
  }
  return std::make_tuple(r, median(t), median(cpu));
}

// Per-core loads of a placement, and how many cores exceed weight SRAM, neuron slots or the balance bound.
int overloaded_cores(const PlaceProblem& p, const std::vector<int>& at) {
  const size_t n = size_t(p.arch->cores());
  std::vector<int64_t> sram(n, 0), slots(n, 0), macs(n, 0);
  for (size_t s = 0; s < at.size(); ++s) {
    sram[size_t(at[s])] += p.sram[s];
    slots[size_t(at[s])] += p.slots[s];
    macs[size_t(at[s])] += p.macs[s];
  }
  int bad = 0;
  for (size_t c = 0; c < n; ++c)
    bad += sram[c] > p.arch->sram_words || slots[c] > p.arch->neuron_slots || macs[c] > p.max_macs_per_core;
  return bad;
}

// Scotch static mapping of the slice graph onto a width × height mesh. Vertex weight = MACs of the slice
// (the balance bound is on MACs, and for dense/conv slices MACs track the weight words too); edge weight =
// flits per relaxation step (both directions). Scotch minimises Σ edge weight × mesh distance — the same
// flit-hop objective — subject to its own load balance, without knowing our per-core capacities.
struct ScotchOptions {
  bool quality = false;       // SCOTCH_stratGraphMapBuild(SCOTCH_STRATQUALITY, …) instead of the default strategy
  double balance = 0.05;      // imbalance ratio for the built strategy
  bool sram_weights = false;  // vertex weight = weight SRAM words instead of MACs
};

// Maps onto the sw × sh sub-mesh in the grid's corner (0,0) (the whole grid when sw, sh = width, height).
std::vector<int> scotch_map(const PlaceProblem& p, const ScotchOptions& o, int sw = 0, int sh = 0) {
  if (sw <= 0 || sh <= 0) sw = p.arch->width, sh = p.arch->height;
  const SCOTCH_Num n = SCOTCH_Num(p.sram.size());
  std::vector<std::vector<std::pair<SCOTCH_Num, SCOTCH_Num>>> adj(static_cast<size_t>(n));
  for (size_t e = 0; e < p.edges.size(); ++e) {
    const auto [a, b] = p.edges[e];
    const SCOTCH_Num w = SCOTCH_Num(std::min<int64_t>(p.edge_flits[e], std::numeric_limits<SCOTCH_Num>::max() / 4));
    adj[size_t(a)].push_back({b, w});
    adj[size_t(b)].push_back({a, w});
  }
  std::vector<SCOTCH_Num> verttab, velotab, edgetab, edlotab;
  const std::vector<int64_t>& vw = o.sram_weights ? p.sram : p.macs;
  int64_t total = 0;
  for (int64_t m : vw) total += m;
  // Keep the sum of vertex weights in range (SCOTCH_Num is 32-bit) while preserving proportions.
  const int64_t scale = std::max<int64_t>(1, total / 1000000000 + 1);
  for (SCOTCH_Num v = 0; v < n; ++v) {
    verttab.push_back(SCOTCH_Num(edgetab.size()));
    velotab.push_back(SCOTCH_Num(std::max<int64_t>(1, vw[size_t(v)] / scale)));
    for (auto [t, w] : adj[size_t(v)]) edgetab.push_back(t), edlotab.push_back(w);
  }
  verttab.push_back(SCOTCH_Num(edgetab.size()));

  SCOTCH_randomReset();  // deterministic: same problem → same mapping
  SCOTCH_Graph g;
  SCOTCH_Arch arch;
  SCOTCH_Strat strat;
  if (SCOTCH_graphInit(&g) != 0) throw std::runtime_error("SCOTCH_graphInit failed");
  if (SCOTCH_graphBuild(&g, 0, n, verttab.data(), verttab.data() + 1, velotab.data(), nullptr,
                        SCOTCH_Num(edgetab.size()), edgetab.data(), edlotab.data()) != 0)
    throw std::runtime_error("SCOTCH_graphBuild failed");
  if (SCOTCH_graphCheck(&g) != 0) throw std::runtime_error("SCOTCH_graphCheck failed");
  SCOTCH_archInit(&arch);
  if (SCOTCH_archMesh2(&arch, sw, sh) != 0) throw std::runtime_error("SCOTCH_archMesh2 failed");
  SCOTCH_stratInit(&strat);
  if (o.quality && SCOTCH_stratGraphMapBuild(&strat, SCOTCH_STRATQUALITY, SCOTCH_Num(sw * sh), o.balance) != 0)
    throw std::runtime_error("SCOTCH_stratGraphMapBuild failed");
  std::vector<SCOTCH_Num> part(size_t(n), 0);
  const int rc = SCOTCH_graphMap(&g, &arch, &strat, part.data());
  SCOTCH_stratExit(&strat);
  SCOTCH_archExit(&arch);
  SCOTCH_graphExit(&g);
  if (rc != 0) throw std::runtime_error("SCOTCH_graphMap failed");
  // Scotch numbers the terminal domains of a 2-D mesh as x + y·sw; our core id is x + y·width.
  std::vector<int> at(static_cast<size_t>(n));
  for (size_t s = 0; s < at.size(); ++s) at[s] = int(part[s] % sw) + int(part[s] / sw) * p.arch->width;
  return at;
}

// Capacity repair: on every overloaded core keep the slices that fit (largest SRAM first) and move the
// others, one by one, to a core with room: Nearest = the nearest such core (ties: fewest added flit-hops,
// then lowest id); Cheapest = the one adding the fewest flit-hops (ties: nearest, then lowest id). Returns
// false if some slice finds no core with room.
enum class Repair { Nearest, Cheapest };

bool repair(const PlaceProblem& p, std::vector<int>& at, Repair mode = Repair::Nearest) {
  const size_t nc = size_t(p.arch->cores()), n = at.size();
  std::vector<int64_t> sram(nc, 0), slots(nc, 0), macs(nc, 0);
  auto fits = [&](size_t s, int c) {
    return sram[size_t(c)] + p.sram[s] <= p.arch->sram_words && slots[size_t(c)] + p.slots[s] <= p.arch->neuron_slots &&
           macs[size_t(c)] + p.macs[s] <= p.max_macs_per_core;
  };
  auto add = [&](size_t s, int c) {
    sram[size_t(c)] += p.sram[s], slots[size_t(c)] += p.slots[s], macs[size_t(c)] += p.macs[s];
  };
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p.sram[a] > p.sram[b]; });
  std::vector<size_t> evicted;
  for (size_t s : order) {
    if (fits(s, at[s]))
      add(s, at[s]);
    else
      evicted.push_back(s);
  }
  std::vector<std::vector<std::pair<int, int64_t>>> adj(n);
  for (size_t e = 0; e < p.edges.size(); ++e) {
    adj[size_t(p.edges[e].first)].push_back({p.edges[e].second, p.edge_flits[e]});
    adj[size_t(p.edges[e].second)].push_back({p.edges[e].first, p.edge_flits[e]});
  }
  for (size_t s : evicted) {
    const int from = at[s];
    int best = -1, best_d = 0;
    int64_t best_cost = 0;
    for (int c : p.cores) {
      if (!fits(s, c)) continue;
      const int d = p.hop(from, c);
      int64_t cost = 0;
      for (auto [t, w] : adj[s]) cost += w * p.hop(c, at[size_t(t)]);
      const bool better = mode == Repair::Nearest ? (d < best_d || (d == best_d && cost < best_cost))
                                                  : (cost < best_cost || (cost == best_cost && d < best_d));
      if (best < 0 || better) best = c, best_d = d, best_cost = cost;
    }
    if (best < 0) return false;
    at[s] = best;
    add(s, best);
  }
  return true;
}

// The strongest Scotch baseline we could set up. Scotch balances its vertex weights over *every* target
// vertex, so with fewer slices than cores it spreads them over the whole mesh; mapping onto a compact
// sub-mesh in the grid's corner gives it a fairer chance. "scotch-best" tries every Scotch strategy of
// kScotchConfigs × every target shape: the whole grid and every sub-mesh sw × sh ≤ the grid with
// (cores needed by capacity) ≤ sw·sh ≤ max(slices, needed); each result is repaired onto the full grid
// both ways (nearest and cheapest).
// Raw: the lowest flit-hops of any attempt (feasible or not); repaired: the lowest feasible after repair.
const std::vector<ScotchOptions> kScotchConfigs = {{false, 0.05, false}, {true, 0.05, false}, {true, 0.25, false},
                                                   {true, 1.0, false},   {false, 0.05, true}, {true, 0.05, true},
                                                   {true, 0.25, true},   {true, 1.0, true}};

std::string scotch_name(const ScotchOptions& o) {
  return (o.quality ? fmt::format("quality/{}", o.balance) : std::string("default")) +
         (o.sram_weights ? ", SRAM weights" : ", MAC weights");
}

struct ScotchBest {
  std::vector<int> raw, repaired;
  int64_t raw_cost = -1, repaired_cost = -1;
  int attempts = 0;
  std::string raw_how, repaired_how;  // "STRATEGY on WxH"
};

ScotchBest scotch_best(const PlaceProblem& p) {
  int64_t sram = 0, slots = 0, macs = 0;
  for (size_t s = 0; s < p.sram.size(); ++s) sram += p.sram[s], slots += p.slots[s], macs += p.macs[s];
  auto ceil_div = [](int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : 0; };
  const int64_t need = std::max({int64_t(1), ceil_div(sram, p.arch->sram_words), ceil_div(slots, p.arch->neuron_slots),
                                 ceil_div(macs, p.max_macs_per_core)});
  const int64_t cap = std::max<int64_t>(need, int64_t(p.sram.size()));
  std::vector<std::pair<int, int>> shapes = {{p.arch->width, p.arch->height}};
  for (int sh = 1; sh <= p.arch->height; ++sh)
    for (int sw = 1; sw <= p.arch->width; ++sw) {
      if (int64_t(sw) * sh < need || int64_t(sw) * sh > cap || (sw == p.arch->width && sh == p.arch->height)) continue;
      bool usable = true;
      for (int y = 0; y < sh; ++y)
        for (int x = 0; x < sw; ++x) usable = usable && p.arch->usable(Coord{x, y});
      if (usable) shapes.push_back({sw, sh});
    }
  ScotchBest r;
  for (const ScotchOptions& o : kScotchConfigs)
    for (auto [sw, sh] : shapes) {
      ++r.attempts;
      std::vector<int> at = scotch_map(p, o, sw, sh);
      const std::string how = fmt::format("{} on {}x{}", scotch_name(o), sw, sh);
      const int64_t c = placement_cost(p, at);
      if (r.raw_cost < 0 || c < r.raw_cost) r.raw_cost = c, r.raw = at, r.raw_how = how;
      for (Repair mode : {Repair::Nearest, Repair::Cheapest}) {
        std::vector<int> fixed = at;
        if (!repair(p, fixed, mode) || overloaded_cores(p, fixed) != 0) continue;
        const int64_t rc = placement_cost(p, fixed);
        if (r.repaired_cost < 0 || rc < r.repaired_cost)
          r.repaired_cost = rc, r.repaired = fixed,
          r.repaired_how = how + (mode == Repair::Nearest ? ", nearest repair" : ", cheapest repair");
      }
    }
  return r;
}

struct Case {
  std::string model;
  std::string grid;
  int slices = 0;
  std::map<std::string, int64_t> cost;  // strategy → flit-hops (feasible placements only)
  int64_t scotch_raw = -1;              // raw Scotch flit-hops on the whole grid (feasible or not)
  int64_t best_raw = -1;                // raw scotch-best flit-hops (feasible or not)
};

Arch grid_arch(int w, int h) {
  Arch a = default_arch();
  a.width = w;
  a.height = h;
  return a;
}

bool parse_grid(const std::string& s, int& w, int& h) {
  const auto x = s.find('x');
  if (x == std::string::npos) return false;
  try {
    w = std::stoi(s.substr(0, x));
    h = std::stoi(s.substr(x + 1));
  } catch (...) {
    return false;
  }
  return w > 0 && h > 0;
}

// Geometric mean over cases of cost(strategy) / cost(ref), both feasible; plus the worst (largest) ratio.
json ratio_stats(const std::vector<Case>& cases, const std::string& name, const std::string& ref) {
  double logsum = 0, worst = 0;
  int k = 0, worse = 0;
  json worst_case;
  for (const Case& c : cases) {
    auto a = c.cost.find(name), b = c.cost.find(ref);
    if (a == c.cost.end() || b == c.cost.end() || b->second <= 0 || a->second <= 0) continue;
    const double r = double(a->second) / double(b->second);
    logsum += std::log(r);
    ++k;
    worse += a->second > b->second;
    if (r > worst) worst = r, worst_case = {{"model", c.model}, {"grid", c.grid}, {name, a->second}, {ref, b->second}};
  }
  json j = {{"geomean_ratio", k ? std::exp(logsum / k) : 0.0}, {"cases", k}, {"worse", worse}};
  if (k) j["worst_ratio"] = worst, j["worst_case"] = worst_case;
  return j;
}

int run_compare(const std::string& models_dir, const std::vector<std::string>& grids, int repeats,
                const ScotchOptions& so) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(models_dir))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<Case> cases;
  const PlaceConfig cfg;  // defaults: seed 1, balance slack 0.25, effort 1
  for (const std::string& file : files) {
    const Graph g = load_model(file);
    for (const std::string& gs : grids) {
      int w = 0, h = 0;
      if (!parse_grid(gs, w, h)) throw std::runtime_error("bad grid '" + gs + "' (expected WxH)");
      const Arch a = grid_arch(w, h);
      const std::vector<Slice> slices = slice_graph(g, a);
      const std::vector<Flow> flows = slice_flows(g, slices, a.flit_bits);
      const PlaceProblem p = make_problem(g, slices, flows, a, cfg.balance_slack);
      json base = {{"bench", "mapper"}, {"model", g.name}, {"grid", gs}, {"slices", slices.size()}};
      try {
        placers().at("greedy")->place(p, cfg);
      } catch (const MapError& e) {
        json j = base;
        j["skipped"] = std::string("does not fit: ") + e.what();
        fmt::print("{}\n", j.dump());
        continue;
      }
      Case cs{g.name, gs, int(slices.size()), {}, -1, -1};
      for (const char* name : {"rowmajor", "greedy", "anneal"}) {
        json j = base;
        j["strategy"] = name;
        try {
          auto [at, t, cpu] = timed(repeats, [&] { return placers().at(name)->place(p, cfg); });
          const int bad = overloaded_cores(p, at);
          j["flit_hops"] = placement_cost(p, at);
          j["map_seconds"] = t;
          j["cpu_seconds"] = cpu;
          j["feasible"] = bad == 0;
          if (bad == 0) cs.cost[name] = placement_cost(p, at);
        } catch (const MapError& e) {
          j["feasible"] = false;
          j["error"] = e.what();
        }
        fmt::print("{}\n", j.dump());
      }
      // Scotch on the whole grid, raw.
      auto [sat, st, scpu] = timed(repeats, [&] { return scotch_map(p, so); });
      const int bad = overloaded_cores(p, sat);
      cs.scotch_raw = placement_cost(p, sat);
      {
        json j = base;
        j["strategy"] = "scotch";
        j["flit_hops"] = cs.scotch_raw;
        j["map_seconds"] = st;
        j["cpu_seconds"] = scpu;
        j["feasible"] = bad == 0;
        j["scotch_feasible"] = bad == 0;
        j["overloaded_cores"] = bad;
        j["scotch_strategy"] = scotch_name(so);
        fmt::print("{}\n", j.dump());
        if (bad == 0) cs.cost["scotch"] = cs.scotch_raw;
      }
      // Scotch followed by the capacity repair (timed together).
      auto [rep, rt, rcpu] = timed(repeats, [&] {
        std::vector<int> at = scotch_map(p, so);
        const bool ok = repair(p, at);
        return std::make_pair(ok, at);
      });
      {
        json j = base;
        j["strategy"] = "scotch+repair";
        const bool ok = rep.first && overloaded_cores(p, rep.second) == 0;
        j["flit_hops"] = placement_cost(p, rep.second);
        j["map_seconds"] = rt;
        j["cpu_seconds"] = rcpu;
        j["feasible"] = ok;
        int moved = 0;
        for (size_t s = 0; s < sat.size(); ++s) moved += sat[s] != rep.second[s];
        j["moved_slices"] = moved;
        fmt::print("{}\n", j.dump());
        if (ok) cs.cost["scotch+repair"] = placement_cost(p, rep.second);
      }
      // The best of all Scotch strategies and target shapes (the whole search is timed).
      auto [best, bt, bcpu] = timed(repeats, [&] { return scotch_best(p); });
      {
        json j = base;
        j["strategy"] = "scotch-best";
        const int b = overloaded_cores(p, best.raw);
        j["flit_hops"] = best.raw_cost;
        j["map_seconds"] = bt;
        j["cpu_seconds"] = bcpu;
        j["feasible"] = b == 0;
        j["scotch_feasible"] = b == 0;
        j["overloaded_cores"] = b;
        j["scotch_run"] = best.raw_how;
        j["scotch_runs"] = best.attempts;
        fmt::print("{}\n", j.dump());
        cs.best_raw = best.raw_cost;
        if (b == 0) cs.cost["scotch-best"] = best.raw_cost;
      }
      {
        json j = base;
        j["strategy"] = "scotch-best+repair";
        j["feasible"] = best.repaired_cost >= 0;
        if (best.repaired_cost >= 0) {
          j["flit_hops"] = best.repaired_cost;
          j["scotch_run"] = best.repaired_how;
          cs.cost["scotch-best+repair"] = best.repaired_cost;
        }
        j["map_seconds"] = bt;
        j["cpu_seconds"] = bcpu;
        j["scotch_runs"] = best.attempts;
        fmt::print("{}\n", j.dump());
      }
      cases.push_back(cs);
    }
  }

  json vs_rep = json::object(), vs_best = json::object();
  for (const char* name : {"rowmajor", "greedy", "anneal", "scotch", "scotch-best+repair"})
    vs_rep[name] = ratio_stats(cases, name, "scotch+repair");
  for (const char* name : {"rowmajor", "greedy", "anneal", "scotch+repair"})
    vs_best[name] = ratio_stats(cases, name, "scotch-best+repair");
  int worse_raw = 0, worse_best_raw = 0;
  for (const Case& c : cases) {
    auto an = c.cost.find("anneal");
    if (an == c.cost.end()) continue;
    worse_raw += c.scotch_raw >= 0 && an->second > c.scotch_raw;
    worse_best_raw += c.best_raw >= 0 && an->second > c.best_raw;
  }
  const double gm = vs_rep["anneal"]["geomean_ratio"].get<double>(),
               gmb = vs_best["anneal"]["geomean_ratio"].get<double>();
  json j = {{"bench", "mapper_summary"},
            {"cases", cases.size()},
            {"ratio_vs_scotch_repair", vs_rep},
            {"ratio_vs_scotch_best_repair", vs_best},
            {"anneal_saving_vs_scotch_repair_pct", 100 * (1 - gm)},
            {"anneal_saving_vs_scotch_best_repair_pct", 100 * (1 - gmb)},
            {"anneal_worse_than_scotch_raw", worse_raw},
            {"anneal_worse_than_scotch_repair", vs_rep["anneal"]["worse"]},
            {"anneal_worse_than_scotch_best_raw_incl_infeasible", worse_best_raw},
            {"anneal_worse_than_scotch_best_repair", vs_best["anneal"]["worse"]}};
  fmt::print("{}\n", j.dump());
  return 0;
}

// An MLP 784 → hidden^layers → 10, as model JSON text.
std::string mlp_json(int hidden, int layers) {
  json v = json::array();
  v.push_back({{"name", "x"}, {"op", "input"}, {"shape", {784}}});
  std::string prev = "x";
  for (int l = 0; l < layers; ++l) {
    const std::string name = fmt::format("h{}", l + 1);
    v.push_back({{"name", name}, {"op", "dense"}, {"parents", {prev}}, {"units", hidden}, {"activation", "relu"}});
    prev = name;
  }
  v.push_back({{"name", "out"}, {"op", "dense"}, {"parents", {prev}}, {"units", 10}, {"loss", "softmax_ce"}});
  json m = {
      {"format", "pcgrid-model"}, {"version", 1}, {"name", fmt::format("mlp-{}x{}", hidden, layers)}, {"vertices", v}};
  return m.dump();
}

// Two families of generated MLPs, at about 1×, 4×, 16× (and 64×) the slices of their smallest member (the
// Fashion-MNIST MLP, 784-256-256-10, 23 slices on the default core):
//   deep: 784 → 256 × L → 10, L grows (1×…64×); every slice talks to a bounded number of others.
//   wide: 784 → W → W → 10, W grows (1×…16×); dense layers connect every slice to every slice of the next
//         layer, so edges grow about as slices².
// Each is placed with greedy and anneal (median of `repeats` runs); the summary gives, per family and
// strategy, the time ratio of each step and, normalised with time ∝ slices^b, 4^b = time per 4× slices
// (per step and from the smallest to the largest size), for wall time and for process CPU time.
int run_scaling(const std::string& grid, int repeats) {
  int w = 0, h = 0;
  if (!parse_grid(grid, w, h)) throw std::runtime_error("bad grid '" + grid + "' (expected WxH)");
  const Arch a = grid_arch(w, h);
  const PlaceConfig cfg;
  auto count_slices = [&](const std::string& text) {
    return int(slice_graph(parse_model(text, "generated"), a).size());
  };
  struct Family {
    const char* name;
    std::function<std::string(int)> model;  // parameter → model JSON
    int first, step;                        // parameter range searched upwards
    std::vector<int> mults;                 // sizes, in multiples of the smallest member's slices
  };
  const std::vector<Family> families = {{"deep", [](int L) { return mlp_json(256, L); }, 2, 1, {1, 4, 16, 64}},
                                        {"wide", [](int W) { return mlp_json(W, 2); }, 256, 8, {1, 4, 16}}};
  json summary = {{"bench", "mapper_scaling_summary"}, {"grid", grid}};
  for (const Family& f : families) {
    const int base = count_slices(f.model(f.first));
    struct Point {
      int n;
      double wall, cpu;
    };
    std::map<std::string, std::vector<Point>> series;
    int param = f.first;
    for (int mult : f.mults) {
      if (int64_t(base) * mult > int64_t(a.cores())) break;                // cannot fit: one slice per core at least
      while (count_slices(f.model(param)) < base * mult) param += f.step;  // smallest member with ≥ mult × base
      const Graph g = parse_model(f.model(param), "generated");
      const std::vector<Slice> slices = slice_graph(g, a);
      const std::vector<Flow> flows = slice_flows(g, slices, a.flit_bits);
      const PlaceProblem p = make_problem(g, slices, flows, a, cfg.balance_slack);
      for (const char* name : {"greedy", "anneal"}) {
        auto [at, t, cpu] = timed(repeats, [&] { return placers().at(name)->place(p, cfg); });
        json j = {{"bench", "mapper_scaling"},
                  {"family", f.name},
                  {"model", g.name},
                  {"grid", grid},
                  {"strategy", name},
                  {"slices", slices.size()},
                  {"edges", p.edges.size()},
                  {"flit_hops", placement_cost(p, at)},
                  {"map_seconds", t},
                  {"cpu_seconds", cpu},
                  {"feasible", overloaded_cores(p, at) == 0}};
        fmt::print("{}\n", j.dump());
        series[name].push_back({int(slices.size()), t, cpu});
      }
    }
    json fam = json::object();
    for (const auto& [name, pts] : series) {
      // time ∝ slices^b between two sizes; 4^b = time ratio per 4× slices. Wall and CPU time separately.
      auto per4x = [](double sr, double tr) { return std::pow(4.0, std::log(tr) / std::log(sr)); };
      json steps = json::array();
      for (size_t k = 1; k < pts.size(); ++k) {
        const double sr = double(pts[k].n) / double(pts[k - 1].n);
        const double tr = pts[k].wall / pts[k - 1].wall, cr = pts[k].cpu / pts[k - 1].cpu;
        steps.push_back({{"slices", {pts[k - 1].n, pts[k].n}},
                         {"slice_ratio", sr},
                         {"wall_ratio", tr},
                         {"cpu_ratio", cr},
                         {"wall_ratio_per_4x_slices", per4x(sr, tr)},
                         {"cpu_ratio_per_4x_slices", per4x(sr, cr)}});
      }
      const double sr = double(pts.back().n) / double(pts.front().n);
      fam[name] = {{"steps", steps},
                   {"wall_ratio_per_4x_slices_overall", per4x(sr, pts.back().wall / pts.front().wall)},
                   {"cpu_ratio_per_4x_slices_overall", per4x(sr, pts.back().cpu / pts.front().cpu)}};
    }
    summary[f.name] = fam;
  }
  fmt::print("{}\n", summary.dump());
  return 0;
}

int run_default(const std::string& model, int repeats) {
  const Arch a = default_arch();
  const PlaceConfig cfg;
  const Graph g = load_model(model);
  std::string text;
  {
    std::ifstream f(model);
    std::ostringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  std::vector<double> t;
  Mapping m;
  for (int k = 0; k < std::max(1, repeats); ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    m = map_graph(g, text, a, cfg);
    t.push_back(seconds_since(t0));
  }
  json j = {{"bench", "mapper_default_mlp"},
            {"model", g.name},
            {"grid", fmt::format("{}x{}", a.width, a.height)},
            {"strategy", cfg.strategy},
            {"slices", m.slices.size()},
            {"flit_hops", m.stats.flit_hops},
            {"repeats", repeats},
            {"map_seconds", median(t)},
            {"max_seconds", *std::max_element(t.begin(), t.end())}};
  fmt::print("{}\n", j.dump());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Scotch 7 starts worker threads by default; pcgrid's placers are single-threaded, so compare like with
  // like (and stay polite on a shared machine) unless the caller sets SCOTCH_PTHREAD_NUMBER.
  setenv("SCOTCH_PTHREAD_NUMBER", "1", 0);
  CLI::App app{"pcgrid mapper benchmarks: placement strategies vs Scotch static mapping (one JSON line each)"};
  std::string models_dir = std::string(PCGRID_SOURCE_DIR) + "/models/zoo";
  std::string default_model = std::string(PCGRID_SOURCE_DIR) + "/models/zoo/mlp_fmnist.json";
  std::vector<std::string> grids = {"6x6", "8x8", "12x12", "16x16"};
  std::string scaling_grid = "40x40";
  int repeats = 5, scaling_repeats = 3;
  ScotchOptions so;
  bool scaling_flag = false;
  auto* cmp = app.add_subcommand("compare", "Zoo models × grids: all strategies and Scotch (the default)");
  auto* sca = app.add_subcommand("scaling", "Placement time vs slices on generated MLPs");
  auto* def = app.add_subcommand("default", "map_graph time of the Fashion-MNIST MLP on the default grid");
  auto* all = app.add_subcommand("all", "compare, then scaling, then default");
  app.add_flag("--scaling", scaling_flag, "Same as the scaling subcommand");
  for (auto* s : {cmp, all}) {
    s->add_option("--models", models_dir, "Directory of model files")->capture_default_str();
    s->add_option("--grids", grids, "Grids WxH")->delimiter(',')->capture_default_str();
    s->add_option("--repeats", repeats, "Timed runs per strategy (median reported)")->capture_default_str();
    s->add_flag("--scotch-quality", so.quality, "Scotch: SCOTCH_stratGraphMapBuild(SCOTCH_STRATQUALITY) strategy");
    s->add_option("--scotch-balance", so.balance, "Scotch: imbalance ratio of the built strategy")
        ->capture_default_str();
  }
  for (auto* s : {sca, all}) {
    s->add_option("--scaling-grid", scaling_grid, "Grid of the scaling runs")->capture_default_str();
    s->add_option("--scaling-repeats", scaling_repeats, "Timed runs per size (median)")->capture_default_str();
  }
  def->add_option("--model", default_model, "Model file")->capture_default_str();
  def->add_option("--repeats", repeats, "Timed runs (median)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (scaling_flag || *sca) return run_scaling(scaling_grid, scaling_repeats);
    if (*def) return run_default(default_model, repeats);
    if (*all) {
      run_compare(models_dir, grids, repeats, so);
      run_scaling(scaling_grid, scaling_repeats);
      return run_default(default_model, repeats);
    }
    return run_compare(models_dir, grids, repeats, so);
  } catch (const std::exception& e) {
    fmt::print(stderr, "pcgrid_bench_mapper: error: {}\n", e.what());
    return 2;
  }
}
