// The mapper (mapper/src/slicing.cpp, placers.cpp, map.cpp; docs/mapping-format.md): every zoo model on
// several grid sizes, with every placement strategy and with random faults, must give a mapping that
// respects every core's capacities, uses only usable cores, holds every weight and every neuron exactly
// once, and routes every flow on live routers and links with deadlock-free tables. Mapping files round-trip
// and refuse hand edits; a model that does not fit is reported with the resource, the vertex, what is
// missing and the smallest grid that would fit.
#include "pcgrid/arch.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/mapping.hpp"
#include "pcgrid/reference.hpp"  // Rng
#include "pcgrid/routing.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace pcgrid;
using Catch::Contains;

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string zoo_dir() { return std::string(PCGRID_SOURCE_DIR) + "/models/zoo"; }
std::string arch_dir() { return std::string(PCGRID_SOURCE_DIR) + "/arch"; }

std::vector<std::string> zoo_models() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(zoo_dir()))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

// A scratch file name unique to this process.
std::string temp_file(const std::string& stem) {
  return (fs::temp_directory_path() / fmt::format("pcgrid_test_mapper_{}_{}.json", ::getpid(), stem)).string();
}

Arch grid(int n) {
  Arch a = default_arch();
  a.name = fmt::format("grid{}x{}", n, n);
  a.width = a.height = n;
  a.host = {0, 0};
  return a;
}

std::string coord_str(Coord c) { return fmt::format("({},{})", c.x, c.y); }

bool listed(const std::vector<Coord>& v, Coord c) { return std::find(v.begin(), v.end(), c) != v.end(); }

// Random faults on an n × n grid: dead cores, dead routers (never the host's), dead links, reserved cores,
// and the host on a random edge router. Entries of each list are distinct (as the file format requires).
std::vector<Arch> fault_patterns(int n, uint64_t seed, int count) {
  Rng rng(seed);
  auto below = [&](int k) { return int(rng.below(uint64_t(k))); };
  std::vector<Arch> out;
  for (int k = 0; k < count; ++k) {
    Arch a = grid(n);
    a.name = fmt::format("grid{}x{}-faults{}", n, n, k);
    const int side = below(4), t = below(n);
    a.host = side == 0 ? Coord{t, 0} : side == 1 ? Coord{t, n - 1} : side == 2 ? Coord{0, t} : Coord{n - 1, t};
    auto rnd = [&] { return Coord{below(n), below(n)}; };
    std::set<Coord> dc, dr, rs;
    std::set<std::pair<Coord, Coord>> dl;
    const int dense = 1 + below(3);  // fault density: light, medium or heavy
    const int ndc = below(dense * n * n / 8 + 1), ndr = below(dense * n / 2 + 1), ndl = below(dense * n + 1),
              nrs = below(3);
    for (int i = 0; i < ndc; ++i) dc.insert(rnd());
    for (int i = 0; i < ndr; ++i) {
      const Coord c = rnd();
      if (c != a.host) dr.insert(c);
    }
    for (int i = 0; i < ndl; ++i) {
      const Coord c = rnd(), d = step(c, kEast + below(4));
      if (a.inside(d)) dl.insert(d < c ? std::make_pair(d, c) : std::make_pair(c, d));
    }
    for (int i = 0; i < nrs; ++i) rs.insert(rnd());
    a.dead_cores.assign(dc.begin(), dc.end());
    a.dead_routers.assign(dr.begin(), dr.end());
    a.dead_links.assign(dl.begin(), dl.end());
    a.reserved_cores.assign(rs.begin(), rs.end());
    out.push_back(a);
  }
  return out;
}

// Whether every usable core can reach the host over live routers and links (computed here, independently
// of the mapper's own distance code).
bool host_reaches_all_usable(const Arch& a) {
  std::vector<char> seen(size_t(a.cores()), 0);
  std::deque<Coord> q{a.host};
  seen[size_t(a.id(a.host))] = 1;
  while (!q.empty()) {
    const Coord c = q.front();
    q.pop_front();
    for (int p = kEast; p <= kSouth; ++p) {
      const Coord d = step(c, p);
      if (!a.inside(d) || !a.link_alive(c, d) || seen[size_t(a.id(d))]) continue;
      seen[size_t(a.id(d))] = 1;
      q.push_back(d);
    }
  }
  for (int i = 0; i < a.cores(); ++i)
    if (a.usable(a.at(i)) && !seen[size_t(i)]) return false;
  return true;
}

// Checks that [lo, hi) ranges partition [0, n) exactly; returns "" or what is wrong.
std::string partition_problem(std::vector<std::pair<int64_t, int64_t>> r, int64_t n) {
  std::sort(r.begin(), r.end());
  int64_t at = 0;
  for (const auto& [lo, hi] : r) {
    if (lo != at) return fmt::format("{} at {} (expected a range starting at {})", lo < at ? "overlap" : "gap", lo, at);
    if (hi <= lo) return fmt::format("empty or reversed range [{}, {})", lo, hi);
    at = hi;
  }
  if (at != n) return fmt::format("ranges end at {} but the extent is {}", at, n);
  return "";
}

// Every invariant of a mapping; returns "" or a list of the problems found.
std::string mapping_problems(const Mapping& m, const PlaceProblem& p) {
  std::vector<std::string> bad;
  const Graph& g = m.graph;
  const Arch& a = m.arch;
  const size_t ns = m.slices.size();
  if (m.core_of.size() != ns) return fmt::format("core_of has {} entries for {} slices", m.core_of.size(), ns);

  // Cores: inside, alive, router alive, not reserved; capacities per core.
  std::vector<int64_t> sram(size_t(a.cores()), 0), slots(sram), macs(sram);
  std::set<int> used;
  for (size_t k = 0; k < ns; ++k) {
    const Slice& s = m.slices[k];
    if (s.id != int(k)) bad.push_back(fmt::format("slice {} has id {}", k, s.id));
    const int core = m.core_of[k];
    if (core < 0 || core >= a.cores()) {
      bad.push_back(fmt::format("slice {} on core id {} outside the {}x{} grid", k, core, a.width, a.height));
      continue;
    }
    const Coord c = a.at(core);
    if (!a.inside(c)) bad.push_back(fmt::format("slice {} on {} outside the grid", k, coord_str(c)));
    if (listed(a.dead_cores, c)) bad.push_back(fmt::format("slice {} on dead core {}", k, coord_str(c)));
    if (listed(a.dead_routers, c) || !a.router_alive(c))
      bad.push_back(fmt::format("slice {} on {} whose router is dead", k, coord_str(c)));
    if (listed(a.reserved_cores, c)) bad.push_back(fmt::format("slice {} on reserved core {}", k, coord_str(c)));
    sram[size_t(core)] += s.sram_words;
    slots[size_t(core)] += s.slots;
    macs[size_t(core)] += s.macs;
    used.insert(core);
  }
  for (int core : used) {
    const Coord c = a.at(core);
    if (sram[size_t(core)] > a.sram_words)
      bad.push_back(fmt::format("core {}: {} SRAM words > {}", coord_str(c), sram[size_t(core)], a.sram_words));
    if (slots[size_t(core)] > a.neuron_slots)
      bad.push_back(fmt::format("core {}: {} neuron slots > {}", coord_str(c), slots[size_t(core)], a.neuron_slots));
    if (macs[size_t(core)] > p.max_macs_per_core)
      bad.push_back(
          fmt::format("core {}: {} MACs > balance bound {}", coord_str(c), macs[size_t(core)], p.max_macs_per_core));
  }
  if (m.stats.cores_used != int(used.size()))
    bad.push_back(
        fmt::format("stats.cores_used {} but {} distinct cores hold slices", m.stats.cores_used, used.size()));

  // Groups: slices with the same vertex list. Vertices sharing parameters are one group; every other vertex is
  // a group of its own; every vertex is in exactly one group.
  std::map<std::vector<size_t>, std::vector<const Slice*>> groups;
  for (const Slice& s : m.slices) groups[s.vertices].push_back(&s);
  std::vector<int> group_count(g.size(), 0);
  int64_t total_macs = 0;
  for (const auto& [vs, sl] : groups) {
    if (vs.empty()) {
      bad.push_back("a slice holds no vertex");
      continue;
    }
    for (size_t v : vs) ++group_count[v];
    const size_t v0 = vs.front();
    const std::string gname = g.v(g.has_params(v0) ? g.param_owner(v0) : v0).name;
    int64_t rows = 0, params = 0;
    if (g.has_params(v0)) {
      const size_t owner = g.param_owner(v0);
      std::set<size_t> expect;
      for (size_t i = 0; i < g.size(); ++i)
        if (g.has_params(i) && g.param_owner(i) == owner) expect.insert(i);
      if (std::set<size_t>(vs.begin(), vs.end()) != expect)
        bad.push_back(
            fmt::format("group of '{}' does not hold exactly the vertices sharing its parameters", g.v(owner).name));
      const Shape ws = g.weight_shape(owner);
      rows = ws.at(0);
      params = shape_size(ws) + g.bias_size(owner);
    } else {
      if (vs.size() != 1) bad.push_back(fmt::format("parameterless vertex '{}' grouped with others", g.v(v0).name));
      rows = g.size_of(v0);
    }
    std::vector<std::pair<int64_t, int64_t>> rr;
    int64_t words = 0;
    for (const Slice* s : sl) {
      rr.push_back({s->row_lo, s->row_hi});
      words += s->sram_words;
      total_macs += s->macs;
      if (s->slots != (s->elem_hi - s->elem_lo) * int64_t(vs.size()))
        bad.push_back(fmt::format("slice {}: {} slots for {} elements of {} vertices", s->id, s->slots,
                                  s->elem_hi - s->elem_lo, vs.size()));
      const int64_t per_row = g.size_of(v0) / rows;
      if (s->elem_lo != s->row_lo * per_row || s->elem_hi != s->row_hi * per_row)
        bad.push_back(fmt::format("slice {}: elements [{}, {}) do not match rows [{}, {})", s->id, s->elem_lo,
                                  s->elem_hi, s->row_lo, s->row_hi));
    }
    const std::string why = partition_problem(rr, rows);
    if (!why.empty()) bad.push_back(fmt::format("rows of the group of '{}': {}", gname, why));
    if (words != params)
      bad.push_back(fmt::format("group of '{}' holds {} SRAM words, its parameters are {}", gname, words, params));
  }
  for (size_t v = 0; v < g.size(); ++v)
    if (group_count[v] != 1) bad.push_back(fmt::format("vertex '{}' is in {} groups", g.v(v).name, group_count[v]));
  if (total_macs != g.forward_macs())
    bad.push_back(fmt::format("slices carry {} MACs, the graph has {}", total_macs, g.forward_macs()));

  // Every vertex's elements exactly once.
  std::vector<std::vector<std::pair<int64_t, int64_t>>> elems(g.size());
  for (const Slice& s : m.slices)
    for (size_t v : s.vertices) elems[v].push_back({s.elem_lo, s.elem_hi});
  for (size_t v = 0; v < g.size(); ++v) {
    const std::string why = partition_problem(elems[v], g.size_of(v));
    if (!why.empty()) bad.push_back(fmt::format("elements of '{}': {}", g.v(v).name, why));
  }

  // Flows on live routers and links only.
  int64_t flit_hops = 0;
  for (const Flow& f : m.flows) {
    if (f.src < 0 || f.dst < 0 || size_t(f.src) >= ns || size_t(f.dst) >= ns || f.src == f.dst) {
      bad.push_back(fmt::format("flow {} -> {} has bad slice ids", f.src, f.dst));
      continue;
    }
    if (f.words <= 0 || f.flits < message_flits(f.words, a.flit_bits))
      bad.push_back(fmt::format("flow {} -> {}: {} words in {} flits", f.src, f.dst, f.words, f.flits));
    const Coord s = a.at(m.core_of[size_t(f.src)]), d = a.at(m.core_of[size_t(f.dst)]);
    if (s == d) continue;
    std::vector<Coord> path;
    try {
      path = m.routing.path(s, d);
    } catch (const MapError& e) {
      bad.push_back(fmt::format("flow {} -> {}: {}", f.src, f.dst, e.what()));
      continue;
    }
    if (path.front() != s || path.back() != d)
      bad.push_back(
          fmt::format("flow {} -> {}: path does not join {} and {}", f.src, f.dst, coord_str(s), coord_str(d)));
    for (size_t i = 0; i < path.size(); ++i) {
      if (!a.router_alive(path[i]))
        bad.push_back(fmt::format("flow {} -> {} passes dead router {}", f.src, f.dst, coord_str(path[i])));
      if (i + 1 < path.size() && !a.link_alive(path[i], path[i + 1]))
        bad.push_back(fmt::format("flow {} -> {} uses dead link {}-{}", f.src, f.dst, coord_str(path[i]),
                                  coord_str(path[i + 1])));
    }
    flit_hops += f.flits * int64_t(path.size() - 1);
  }
  if (flit_hops != m.stats.flit_hops)
    bad.push_back(fmt::format("stats.flit_hops {} but the routed flows give {}", m.stats.flit_hops, flit_hops));

  // Deadlock freedom of the routing among the used cores and the host.
  std::set<Coord> ends{a.host};
  for (int core : used) ends.insert(a.at(core));
  const std::string rc = check_routing(a, m.routing, std::vector<Coord>(ends.begin(), ends.end()));
  if (!rc.empty()) bad.push_back("check_routing: " + rc);

  std::string out;
  for (size_t i = 0; i < bad.size() && i < 20; ++i) out += bad[i] + "\n";
  if (bad.size() > 20) out += fmt::format("... and {} more\n", bad.size() - 20);
  return out;
}

PlaceProblem problem_of(const Mapping& m) {
  return make_problem(m.graph, m.slices, m.flows, m.arch, m.config.balance_slack);
}

// The mapping file without its wall-clock field (the only part that may differ between equal mappings).
std::string stable_json(Mapping m) {
  m.stats.map_seconds = 0;
  return mapping_to_json(m);
}

PlaceConfig config(const std::string& strategy, uint64_t seed = 1) {
  PlaceConfig c;
  c.strategy = strategy;
  c.seed = seed;
  return c;
}

const char* const kStrategies[] = {"rowmajor", "greedy", "anneal"};

}  // namespace

TEST_CASE("every zoo model maps correctly on every grid, strategy and fault pattern", "[mapper]") {
  const auto models = zoo_models();
  REQUIRE(models.size() >= 5);
  int mapped = 0, table_routed = 0, cut = 0, disconnected = 0, no_room = 0, round_trips = 0;
  const std::string tmp = temp_file("sweep");
  for (int n : {6, 8, 12}) {
    std::vector<std::pair<std::string, Arch>> archs{{"healthy", grid(n)}};
    int k = 0;
    for (const Arch& a : fault_patterns(n, 0x5eed0000u + uint64_t(n), 10))
      archs.push_back({fmt::format("faults#{}", k++), a});
    for (const auto& model : models) {
      for (const auto& [label, arch] : archs) {
        std::map<std::string, int64_t> cost;  // placement cost per strategy
        std::map<std::string, int64_t> hops;  // stats.flit_hops per strategy
        for (const char* strategy : kStrategies) {
          const std::string ctx = fmt::format(
              "{} on {}x{} ({}, host {}, {} dead cores, {} dead routers, {} dead "
              "links, {} reserved) with {}",
              fs::path(model).filename().string(), n, n, label, coord_str(arch.host), arch.dead_cores.size(),
              arch.dead_routers.size(), arch.dead_links.size(), arch.reserved_cores.size(), strategy);
          INFO(ctx);
          const bool connected = host_reaches_all_usable(arch);
          cut += !connected;
          Mapping m;
          try {
            m = map_model(model, arch, config(strategy, 7));
          } catch (const MapError& e) {
            const std::string what = e.what();
            INFO(what);
            const bool route_error =
                what.find("disconnected") != std::string::npos || what.find("cannot reach") != std::string::npos;
            const bool room_error = what.find("no usable core has room") != std::string::npos;
            if (route_error) {
              // Only a live mesh that really leaves some usable core cut off from the host may fail to route.
              CHECK_FALSE(connected);
              ++disconnected;
            } else if (room_error) {
              // Too small: allowed on the smaller grids (or when faults cut the mesh), never on 12x12 intact.
              CHECK((n < 12 || !connected));
              CHECK_THAT(what, Contains("smallest square grid"));
              ++no_room;
            } else {
              FAIL_CHECK("unexpected error");
            }
            continue;
          }
          ++mapped;
          if (m.routing.kind == Routing::Kind::Table) ++table_routed;
          const PlaceProblem p = problem_of(m);
          CHECK(mapping_problems(m, p) == "");
          cost[strategy] = placement_cost(p, m.core_of);
          hops[strategy] = m.stats.flit_hops;
          // With shortest-path routing (XY on an intact mesh) the placement cost is the routed flit-hops.
          if (m.routing.kind == Routing::Kind::XY && arch.dead_routers.empty() && arch.dead_links.empty())
            CHECK(cost[strategy] == m.stats.flit_hops);

          // Round trip through the mapping file: same placement, same routes, same statistics.
          const std::string text = stable_json(m);
          spit(tmp, text);
          Mapping back = load_mapping(tmp);
          CHECK(back.core_of == m.core_of);
          CHECK(back.stats.flit_hops == m.stats.flit_hops);
          CHECK(back.routing.kind == m.routing.kind);
          CHECK(back.routing.next == m.routing.next);
          back.model_file = m.model_file;
          CHECK(stable_json(back) == text);
          ++round_trips;

          // Determinism: the same seed gives the same mapping file.
          CHECK(stable_json(map_model(model, arch, config(strategy, 7))) == text);
        }
        // Annealing starts from the greedy placement and keeps the best placement seen.
        if (cost.count("greedy") && cost.count("anneal")) {
          INFO(fmt::format("{} on {}x{} ({})", fs::path(model).filename().string(), n, n, label));
          CHECK(cost["anneal"] <= cost["greedy"]);
          if (label == "healthy") CHECK(hops["anneal"] <= hops["greedy"]);
        }
        if (n == 12 && host_reaches_all_usable(arch)) {
          INFO(fmt::format("{} on 12x12 ({})", fs::path(model).filename().string(), label));
          CHECK(cost.size() == 3);  // 12x12 fits every zoo model with every strategy
        }
        if (label == "healthy") {
          INFO(fmt::format("{} on healthy {}x{}", fs::path(model).filename().string(), n, n));
          CHECK(cost.count("greedy") == 1);
          CHECK(cost.count("anneal") == 1);
        }
      }
    }
  }
  fs::remove(tmp);
  INFO(
      fmt::format("{} mappings ({} with up*/down* tables), {} attempts on a cut mesh ({} refused as "
                  "disconnected), {} too small, {} round trips",
                  mapped, table_routed, cut, disconnected, no_room, round_trips));
  // The fault patterns must actually exercise the table routing and meshes cut in pieces (a mapping that
  // stays within the host's piece is fine; the refusal itself is tested below).
  CHECK(table_routed > 0);
  CHECK(cut > 0);
  CHECK(mapped > 400);
}

TEST_CASE("the shipped damaged architecture maps around its faults", "[mapper]") {
  const Arch a = load_arch(arch_dir() + "/damaged_8x8.json");
  for (const auto& model : zoo_models()) {
    for (const char* strategy : kStrategies) {
      INFO(model << " with " << strategy);
      const Mapping m = map_model(model, a, config(strategy));
      CHECK(mapping_problems(m, problem_of(m)) == "");
    }
  }
}

TEST_CASE("a live mesh cut in two reports the routers that cannot reach each other", "[mapper]") {
  // A wall of dead routers at x = 2 leaves 12 usable cores on the host's side; the MLP needs more.
  Arch a = grid(6);
  for (int y = 0; y < 6; ++y) a.dead_routers.push_back({2, y});
  REQUIRE_THROWS_WITH(map_model(zoo_dir() + "/mlp_fmnist.json", a, config("greedy")),
                      Contains("cannot reach each other") && Contains("disconnected"));
}

TEST_CASE("mapping files refuse hand edits that break the mapping", "[mapper]") {
  const Arch a = load_arch(arch_dir() + "/damaged_8x8.json");
  const Mapping m = map_model(zoo_dir() + "/mlp_fmnist.json", a, config("anneal"));
  REQUIRE(m.slices.size() > 4);
  const json j = json::parse(mapping_to_json(m));
  const std::string tmp = temp_file("edit");

  SECTION("the unedited file loads") {
    spit(tmp, j.dump());
    CHECK(load_mapping(tmp).core_of == m.core_of);
  }
  SECTION("a slice moved onto a dead core") {
    json e = j;
    e["slices"][3]["core"] = {2, 1};  // dead_cores[0]
    spit(tmp, e.dump());
    REQUIRE_THROWS_WITH(load_mapping(tmp), Contains("slices[3]") && Contains("(2,1)"));
  }
  SECTION("a slice moved onto a dead router") {
    json e = j;
    e["slices"][5]["core"] = {4, 4};
    spit(tmp, e.dump());
    REQUIRE_THROWS_WITH(load_mapping(tmp), Contains("slices[5]") && Contains("(4,4)"));
  }
  SECTION("a slice moved onto a reserved core") {
    json e = j;
    e["slices"][0]["core"] = {7, 7};
    spit(tmp, e.dump());
    REQUIRE_THROWS_WITH(load_mapping(tmp), Contains("slices[0]"));
  }
  SECTION("a slice moved outside the grid") {
    json e = j;
    e["slices"][2]["core"] = {8, 0};
    spit(tmp, e.dump());
    REQUIRE_THROWS_WITH(load_mapping(tmp), Contains("slices[2]") && Contains("outside the grid"));
  }
  SECTION("a slice's rows edited") {
    json e = j;
    e["slices"][4]["rows"][1] = e["slices"][4]["rows"][1].get<int64_t>() + 1;
    spit(tmp, e.dump());
    REQUIRE_THROWS_WITH(load_mapping(tmp), Contains("slices[4].rows"));
  }
  SECTION("a slice removed") {
    json e = j;
    e["slices"].erase(e["slices"].size() - 1);
    spit(tmp, e.dump());
    REQUIRE_THROWS_WITH(load_mapping(tmp), Contains("'slices'"));
  }
  SECTION("two full slices moved onto one core") {
    // Two slices that each fill more than half a core's weight SRAM cannot share a core.
    std::vector<size_t> big;
    for (const Slice& s : m.slices)
      if (2 * s.sram_words > a.sram_words) big.push_back(size_t(s.id));
    REQUIRE(big.size() >= 2);
    json e = j;
    e["slices"][big[1]]["core"] = e["slices"][big[0]]["core"];
    spit(tmp, e.dump());
    REQUIRE_THROWS_WITH(load_mapping(tmp), Contains("slices[") && Contains("weight SRAM"));
  }
  fs::remove(tmp);
}

TEST_CASE("a model that does not fit names the resource, the vertex and what is missing", "[mapper]") {
  const std::string mlp = zoo_dir() + "/mlp_fmnist.json", cnn = zoo_dir() + "/cnn_fmnist.json";

  SECTION("a dense row wider than a core's weight SRAM") {
    Arch a = default_arch();
    a.sram_words = 512;  // h1's rows need 784 weights + 1 bias
    REQUIRE_THROWS_WITH(map_model(mlp, a, config("greedy")),
                        Contains("vertex 'h1'") && Contains("785 weight SRAM words") && Contains("512") &&
                            Contains("273 missing") && Contains("sram_words >= 785"));
  }
  SECTION("a conv channel with more positions than a core's neuron slots") {
    Arch a = default_arch();
    a.neuron_slots = 100;  // c1's channels have 14 x 14 = 196 positions
    REQUIRE_THROWS_WITH(map_model(cnn, a, config("greedy")), Contains("vertex 'c1'") && Contains("196 neuron slots") &&
                                                                 Contains("96 missing") &&
                                                                 Contains("neuron_slots >= 196"));
  }
  SECTION("a grid too small suggests the smallest square grid that fits") {
    const Arch small = load_arch(arch_dir() + "/small_4x4.json");
    for (const char* strategy : kStrategies) {
      INFO(strategy);
      REQUIRE_THROWS_WITH(map_model(mlp, small, config(strategy)),
                          Contains("no usable core has room for vertex 'h") &&
                              Contains("weight SRAM: the network needs 269322 words") &&
                              Contains("the 16 usable cores hold 262144 (7178 missing)") &&
                              Contains("smallest square grid") && Contains("is 5x5"));
      // The suggestion holds: 5x5 fits with the same strategy.
      const Mapping m = map_model(mlp, grid(5), config(strategy));
      CHECK(mapping_problems(m, problem_of(m)) == "");
    }
  }
  SECTION("the suggested grid fits with the strategy that failed") {
    // Row-major first fit packs worse than greedy: the grid it is told to use must work for it too.
    for (int n : {3, 4}) {
      INFO(n << "x" << n);
      std::string what;
      try {
        map_model(cnn, grid(n), config("rowmajor"));
      } catch (const MapError& e) {
        what = e.what();
      }
      REQUIRE_THAT(what, Contains("smallest square grid"));
      const auto at = what.find(" is ", what.find("smallest square grid"));
      REQUIRE(at != std::string::npos);
      const int k = std::stoi(what.substr(at + 4));
      INFO(what);
      CHECK(k > n);
      CHECK_NOTHROW(map_model(cnn, grid(k), config("rowmajor")));
    }
  }
  SECTION("faults: the suggestion is a healthy grid of the same cores") {
    Arch a = grid(5);  // 15 usable cores; the MLP needs at least 17
    for (int x = 0; x < 5; ++x) a.dead_cores.push_back({x, 4}), a.dead_cores.push_back({x, 3});
    REQUIRE_THROWS_WITH(map_model(mlp, a, config("anneal")), Contains("smallest square grid") && Contains("5x5"));
  }
  SECTION("an unknown strategy lists the strategies") {
    REQUIRE_THROWS_WITH(map_model(mlp, default_arch(), config("zigzag")),
                        Contains("unknown placement strategy 'zigzag'") && Contains("anneal") && Contains("greedy") &&
                            Contains("rowmajor"));
  }
  SECTION("no usable core") {
    Arch a = grid(2);
    a.dead_cores = {{0, 0}, {1, 1}};
    a.reserved_cores = {{1, 0}};
    a.dead_routers = {{0, 1}};
    REQUIRE_THROWS_WITH(map_model(mlp, a, config("greedy")), Contains("no usable core"));
  }
}
