// The mapping flow (slice → place → route → statistics), mapping files, SVG pictures and summaries.
#include "pcgrid/mapping.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <fstream>
#include <set>
#include <sstream>

namespace pcgrid {

namespace {
using json = nlohmann::json;

std::string read_file(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw MapError(fmt::format("{}: cannot open {}", path, what));
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool has_faults(const Arch& a) { return !a.dead_routers.empty() || !a.dead_links.empty(); }

// BFS distances between all routers over live routers and links (INT_MAX/2 when unreachable).
std::vector<int> live_distances(const Arch& a) {
  const int n = a.cores();
  const int inf = 1 << 29;
  std::vector<int> d(size_t(n) * size_t(n), inf);
  for (int s = 0; s < n; ++s) {
    if (!a.router_alive(a.at(s))) continue;
    int* row = &d[size_t(s) * size_t(n)];
    row[s] = 0;
    std::deque<int> q{s};
    while (!q.empty()) {
      const int u = q.front();
      q.pop_front();
      const Coord cu = a.at(u);
      for (int port = kEast; port <= kSouth; ++port) {
        const Coord cv = step(cu, port);
        if (!a.inside(cv) || !a.link_alive(cu, cv)) continue;
        const int v = a.id(cv);
        if (row[v] > row[u] + 1) {
          row[v] = row[u] + 1;
          q.push_back(v);
        }
      }
    }
  }
  return d;
}

std::string coord_str(Coord c) { return fmt::format("({},{})", c.x, c.y); }

// Routes between every used core and the host, then fills the statistics and per-link traffic.
void route_and_measure(Mapping& m, int usable) {
  const Arch& a = m.arch;
  // Route between every used core and the host.
  std::set<Coord> ends{a.host};
  for (int core : m.core_of) ends.insert(a.at(core));
  m.routing = build_routing(a, std::vector<Coord>(ends.begin(), ends.end()));

  // Statistics.
  MapStats& st = m.stats;
  st.cores_usable = usable;
  std::vector<int64_t> sram(size_t(a.cores()), 0), slots(sram), macs(sram);
  std::vector<char> used(size_t(a.cores()), 0);
  for (const Slice& s : m.slices) {
    const int core = m.core_of[size_t(s.id)];
    used[size_t(core)] = 1;
    sram[size_t(core)] += s.sram_words;
    slots[size_t(core)] += s.slots;
    macs[size_t(core)] += s.macs;
  }
  bool first = true;
  for (int core = 0; core < a.cores(); ++core) {
    if (!used[size_t(core)]) continue;
    ++st.cores_used;
    const double su = double(sram[size_t(core)]) / double(a.sram_words);
    const double sl = double(slots[size_t(core)]) / double(a.neuron_slots);
    const double mc = double(macs[size_t(core)]);
    if (first) {
      st.sram_min = st.sram_max = su;
      st.slots_min = st.slots_max = sl;
      st.macs_min = st.macs_max = mc;
      first = false;
    }
    st.sram_min = std::min(st.sram_min, su), st.sram_max = std::max(st.sram_max, su), st.sram_mean += su;
    st.slots_min = std::min(st.slots_min, sl), st.slots_max = std::max(st.slots_max, sl), st.slots_mean += sl;
    st.macs_min = std::min(st.macs_min, mc), st.macs_max = std::max(st.macs_max, mc), st.macs_mean += mc;
  }
  if (st.cores_used) {
    st.sram_mean /= st.cores_used;
    st.slots_mean /= st.cores_used;
    st.macs_mean /= st.cores_used;
  }
  m.link_flits.assign(size_t(a.cores()) * 4, 0);
  for (const Flow& f : m.flows) {
    const Coord s = a.at(m.core_of[size_t(f.src)]), d = a.at(m.core_of[size_t(f.dst)]);
    if (s == d) continue;  // stays inside the core
    const auto path = m.routing.path(s, d);
    ++st.messages;
    st.flits += f.flits;
    st.flit_hops += f.flits * int64_t(path.size() - 1);
    st.longest_route = std::max(st.longest_route, int(path.size()) - 1);
    for (size_t k = 0; k + 1 < path.size(); ++k) {
      const int port = m.routing.port(path[k], d);
      m.link_flits[size_t(a.id(path[k])) * 4 + size_t(port - 1)] += f.flits;
    }
  }
  for (int64_t l : m.link_flits) st.peak_link_flits = std::max(st.peak_link_flits, l);
}

}  // namespace

PlaceProblem make_problem(const Graph& g, const std::vector<Slice>& s, const std::vector<Flow>& f, const Arch& a,
                          double balance_slack) {
  PlaceProblem p;
  p.arch = &a;
  for (const Slice& x : s)
    p.slice_names.push_back(fmt::format("vertex '{}' rows [{},{})", g.v(x.vertices[0]).name, x.row_lo, x.row_hi));
  int64_t total_macs = 0, max_macs = 0;
  for (const Slice& x : s) {
    p.sram.push_back(x.sram_words);
    p.slots.push_back(x.slots);
    p.macs.push_back(x.macs);
    total_macs += x.macs;
    max_macs = std::max(max_macs, x.macs);
    if (x.is_input || x.is_output) p.host_slices.push_back(x.id);
  }
  std::map<std::pair<int, int>, int64_t> e;
  for (const Flow& fl : f) e[{std::min(fl.src, fl.dst), std::max(fl.src, fl.dst)}] += fl.flits;
  for (const auto& [k, w] : e) {
    p.edges.push_back(k);
    p.edge_flits.push_back(w);
  }
  for (int c = 0; c < a.cores(); ++c)
    if (a.usable(a.at(c))) p.cores.push_back(c);
  if (p.cores.empty()) throw MapError("the architecture has no usable core (all dead or reserved)");
  const double mean = double(total_macs) / double(p.cores.size());
  p.max_macs_per_core = std::max<int64_t>(max_macs, int64_t(std::ceil((1 + balance_slack) * mean)));
  p.host_core = a.id(a.host);
  if (has_faults(a)) {
    check_table_size(a.cores(), a.width, a.height);
    p.dist = live_distances(a);
  }
  return p;
}

Mapping map_graph(const Graph& g, const std::string& model_json, const Arch& a, const PlaceConfig& c) {
  const auto t0 = std::chrono::steady_clock::now();
  Mapping m;
  m.model_json = model_json;
  m.graph = g;
  m.arch = a;
  m.config = c;
  auto it = placers().find(c.strategy);
  if (it == placers().end()) {
    std::string names;
    for (const auto& [n, _] : placers()) names += (names.empty() ? "" : ", ") + n;
    throw MapError(fmt::format("unknown placement strategy '{}' (expected one of: {})", c.strategy, names));
  }
  m.slices = slice_graph(g, a);
  m.flows = slice_flows(g, m.slices, a.flit_bits);
  PlaceProblem p = make_problem(g, m.slices, m.flows, m.arch, c.balance_slack);
  try {
    m.core_of = it->second->place(p, c);
  } catch (const MapError& e) {
    // Suggest the smallest square grid (same cores, no faults) on which the requested strategy succeeds.
    for (int k = 1; k <= 256; ++k) {
      if (k * k < int(p.cores.size()) || k * k < a.width * a.height) continue;
      Arch b = a;
      b.width = b.height = k;
      b.dead_cores.clear(), b.dead_routers.clear(), b.dead_links.clear(), b.reserved_cores.clear();
      b.host = {0, 0};
      try {
        PlaceProblem q = make_problem(g, m.slices, m.flows, b, c.balance_slack);
        it->second->place(q, c);
        throw MapError(fmt::format("{}; the smallest square grid of these cores that fits is {}x{}", e.what(), k, k));
      } catch (const MapError& again) {
        if (std::string(again.what()).find("smallest square grid") != std::string::npos) throw;
      }
    }
    throw MapError(fmt::format("{}; no square grid up to 256x256 fits", e.what()));
  }

  route_and_measure(m, int(p.cores.size()));
  m.stats.map_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m;
}

Mapping map_model(const std::string& model_file, const Arch& a, const PlaceConfig& c) {
  const std::string text = read_file(model_file, "model file");
  Graph g = parse_model(text, model_file);
  Mapping m = map_graph(g, text, a, c);
  m.model_file = model_file;
  return m;
}

// ---- mapping file -----------------------------------------------------------------------------------

std::string mapping_to_json(const Mapping& m) {
  json j;
  j["format"] = "pcgrid-mapping";
  j["version"] = 1;
  j["model_file"] = m.model_file;
  j["model"] = json::parse(m.model_json);
  j["arch"] = json::parse(arch_to_json(m.arch));
  j["placement"] = {{"strategy", m.config.strategy},
                    {"seed", m.config.seed},
                    {"balance_slack", m.config.balance_slack},
                    {"effort", m.config.effort}};
  json sl = json::array();
  for (const Slice& s : m.slices) {
    json vs = json::array();
    for (size_t v : s.vertices) vs.push_back(m.graph.v(v).name);
    const Coord c = m.arch.at(m.core_of[size_t(s.id)]);
    sl.push_back({{"id", s.id},
                  {"vertices", vs},
                  {"rows", {s.row_lo, s.row_hi}},
                  {"elements", {s.elem_lo, s.elem_hi}},
                  {"core", {c.x, c.y}},
                  {"sram_words", s.sram_words},
                  {"slots", s.slots},
                  {"macs", s.macs}});
  }
  j["slices"] = sl;
  json fl = json::array();
  for (const Flow& f : m.flows) {
    const Coord s = m.arch.at(m.core_of[size_t(f.src)]), d = m.arch.at(m.core_of[size_t(f.dst)]);
    fl.push_back({{"src", f.src},
                  {"dst", f.dst},
                  {"kind", to_string(f.kind)},
                  {"words", f.words},
                  {"flits", f.flits},
                  {"hops", s == d ? 0 : m.routing.hops(s, d)}});
  }
  j["flows"] = fl;
  json r;
  r["kind"] = m.routing.kind == Routing::Kind::XY ? "xy" : "table";
  if (m.routing.kind == Routing::Kind::Table) {
    // next[router][dest] as one string of port digits per router ('-' = no route), compact and diffable.
    json t = json::array();
    const int n = m.arch.cores();
    for (int rt = 0; rt < n; ++rt) {
      std::string row;
      for (int d = 0; d < n; ++d) {
        const int8_t p = m.routing.next[size_t(rt) * size_t(n) + size_t(d)];
        row += p < 0 ? '-' : char('0' + p);
      }
      t.push_back(row);
    }
    r["next"] = t;
  }
  j["routing"] = r;
  const MapStats& st = m.stats;
  j["stats"] = {{"cores_used", st.cores_used},
                {"cores_usable", st.cores_usable},
                {"sram_utilisation", {{"min", st.sram_min}, {"mean", st.sram_mean}, {"max", st.sram_max}}},
                {"slot_utilisation", {{"min", st.slots_min}, {"mean", st.slots_mean}, {"max", st.slots_max}}},
                {"macs_per_core", {{"min", st.macs_min}, {"mean", st.macs_mean}, {"max", st.macs_max}}},
                {"messages_per_step", st.messages},
                {"flits_per_step", st.flits},
                {"flit_hops_per_step", st.flit_hops},
                {"longest_route", st.longest_route},
                {"peak_link_flits_per_step", st.peak_link_flits},
                {"map_seconds", st.map_seconds}};
  return j.dump(1);
}

Mapping load_mapping(const std::string& path) {
  const std::string text = read_file(path, "mapping file");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw MapError(fmt::format("{}: invalid JSON at byte {}: {}", path, e.byte, e.what()));
  } catch (const json::exception& e) {
    // Not a syntax error but still a bad document, e.g. "number overflow parsing '1e400'" (out_of_range).
    throw MapError(fmt::format("{}: invalid JSON: {}", path, e.what()));
  }
  auto need = [&](const json& o, const char* key) -> const json& {
    if (!o.is_object() || !o.contains(key)) throw MapError(fmt::format("{}: missing key '{}'", path, key));
    return o[key];
  };
  // Optional key of a given JSON type (json::value would throw a type_error on a value of another type).
  auto optional = [&](const json& o, const char* section, const char* key, bool (json::*is)() const noexcept,
                      const char* type) -> const json* {
    auto it = o.find(key);
    if (it == o.end()) return nullptr;
    if (!((*it).*is)())
      throw MapError(fmt::format("{}: '{}{}' must be {}, got {}", path, section, key, type, it->type_name()));
    return &*it;
  };
  if (!j.is_object() || !j.contains("format") || j["format"] != "pcgrid-mapping")
    throw MapError(fmt::format("{}: not a pcgrid mapping file ('format' must be \"pcgrid-mapping\")", path));
  if (!need(j, "version").is_number_integer() || j["version"] != 1)
    throw MapError(fmt::format("{}: 'version' must be 1", path));
  // The mapping is re-derived from its embedded model and architecture with its recorded placement, then
  // compared: a file edited by hand into an inconsistent state is refused rather than half-trusted.
  const std::string model_text = need(j, "model").dump();
  Graph g = parse_model(model_text, path + ": model");
  Arch a = parse_arch(need(j, "arch").dump(), path + ": arch");
  Mapping m;
  if (const json* f = optional(j, "", "model_file", &json::is_string, "a string")) m.model_file = f->get<std::string>();
  m.model_json = model_text;
  m.graph = g;
  m.arch = a;
  const json& pl = need(j, "placement");
  if (!pl.is_object()) throw MapError(fmt::format("{}: 'placement' must be an object, got {}", path, pl.type_name()));
  if (const json* f = optional(pl, "placement.", "strategy", &json::is_string, "a string"))
    m.config.strategy = f->get<std::string>();
  if (const json* f = optional(pl, "placement.", "seed", &json::is_number_unsigned, "a non-negative integer"))
    m.config.seed = f->get<uint64_t>();
  if (const json* f = optional(pl, "placement.", "balance_slack", &json::is_number, "a number"))
    m.config.balance_slack = f->get<double>();
  if (const json* f = optional(pl, "placement.", "effort", &json::is_number, "a number"))
    m.config.effort = f->get<double>();
  // Errors of the mapper itself (the embedded model does not fit the embedded architecture, no route)
  // name the file too.
  auto in_file = [&](auto&& f) {
    try {
      f();
    } catch (const MapError& e) {
      throw MapError(fmt::format("{}: {}", path, e.what()));
    }
  };
  in_file([&] { m.slices = slice_graph(g, a); });
  const json& sl = need(j, "slices");
  if (!sl.is_array() || sl.size() != m.slices.size())
    throw MapError(fmt::format("{}: 'slices' has {} entries but the model and architecture give {} slices", path,
                               sl.is_array() ? sl.size() : 0, m.slices.size()));
  // Flows only once the slice count matched the file (their number grows with the product of the slice counts
  // of neighbouring vertices).
  m.flows = slice_flows(g, m.slices, a.flit_bits);
  for (size_t k = 0; k < sl.size(); ++k) {
    const json& c = need(sl[k], "core");
    if (!c.is_array() || c.size() != 2 || !c[0].is_number_integer() || !c[1].is_number_integer())
      throw MapError(fmt::format("{}: slices[{}].core must be [x, y]", path, k));
    // Range-checked before narrowing to int (a huge coordinate must not wrap around into the grid).
    auto coord_of = [&](const json& v) {
      const bool fits = v.is_number_unsigned() ? v.get<uint64_t>() <= uint64_t(INT32_MAX)
                                               : v.get<int64_t>() >= INT32_MIN && v.get<int64_t>() <= INT32_MAX;
      if (!fits)
        throw MapError(fmt::format("{}: slices[{}] is placed on core {} which is outside the grid, dead or reserved",
                                   path, k, c.dump()));
      return int(v.get<int64_t>());
    };
    const Coord cc{coord_of(c[0]), coord_of(c[1])};
    if (!a.inside(cc) || !a.usable(cc))
      throw MapError(fmt::format("{}: slices[{}] is placed on core {} which is outside the grid, dead or reserved",
                                 path, k, coord_str(cc)));
    const json& rows = need(sl[k], "rows");
    if (!rows.is_array() || rows.size() != 2 || rows[0] != m.slices[k].row_lo || rows[1] != m.slices[k].row_hi)
      throw MapError(fmt::format("{}: slices[{}].rows does not match the slicing of the model", path, k));
    m.core_of.push_back(a.id(cc));
  }
  // Capacities: an edited placement must not overfill a core.
  std::vector<int64_t> sram(size_t(a.cores()), 0), slots(sram);
  for (size_t k = 0; k < m.slices.size(); ++k) {
    const size_t core = size_t(m.core_of[k]);
    sram[core] += m.slices[k].sram_words;
    slots[core] += m.slices[k].slots;
    if (sram[core] > a.sram_words || slots[core] > a.neuron_slots)
      throw MapError(
          fmt::format("{}: slices[{}] overfills core {}: its slices need {} weight SRAM words and {} "
                      "neuron slots, a core has {} and {}",
                      path, k, coord_str(a.at(int(core))), sram[core], slots[core], a.sram_words, a.neuron_slots));
  }
  int usable = 0;
  for (int c = 0; c < a.cores(); ++c) usable += a.usable(a.at(c));
  in_file([&] { route_and_measure(m, usable); });
  return m;
}

// ---- summary and picture ----------------------------------------------------------------------------

std::string mapping_summary(const Mapping& m) {
  const MapStats& s = m.stats;
  std::string r;
  r += fmt::format("model '{}' on {}x{} grid '{}' ({} usable cores), strategy {}\n", m.graph.name, m.arch.width,
                   m.arch.height, m.arch.name, s.cores_usable, m.config.strategy);
  r += fmt::format("  slices              {}\n", m.slices.size());
  r += fmt::format("  cores used          {} of {}\n", s.cores_used, s.cores_usable);
  r += fmt::format("  per used core          min     mean      max\n");
  r += fmt::format("    SRAM utilisation  {:5.1f}%  {:5.1f}%  {:5.1f}%\n", 100 * s.sram_min, 100 * s.sram_mean,
                   100 * s.sram_max);
  r += fmt::format("    slot utilisation  {:5.1f}%  {:5.1f}%  {:5.1f}%\n", 100 * s.slots_min, 100 * s.slots_mean,
                   100 * s.slots_max);
  r += fmt::format("    MACs per forward  {:>7.0f}  {:>7.0f}  {:>7.0f}\n", s.macs_min, s.macs_mean, s.macs_max);
  r += fmt::format("  per relaxation step (PRED + ERR over the NoC)\n");
  r += fmt::format("    messages          {}\n", s.messages);
  r += fmt::format("    flits             {}\n", s.flits);
  r += fmt::format("    flit-hops         {}\n", s.flit_hops);
  r += fmt::format("    busiest link      {} flits\n", s.peak_link_flits);
  r += fmt::format("  longest route       {} hops\n", s.longest_route);
  r += fmt::format("  routing             {}\n",
                   m.routing.kind == Routing::Kind::XY ? "XY (dimension order)" : "up*/down* tables");
  r += fmt::format("  mapping time        {:.3f} s\n", s.map_seconds);
  return r;
}

std::string mapping_svg(const Mapping& m) {
  std::vector<double> load(size_t(m.arch.cores()), 0.0);
  for (const Slice& s : m.slices)
    load[size_t(m.core_of[size_t(s.id)])] += double(s.sram_words) / double(m.arch.sram_words);
  return grid_svg(m, load, "weight SRAM use", m.link_flits, "flits per relaxation step",
                  fmt::format("{} on {}x{} — {} — {} flit-hops/step", m.graph.name, m.arch.width, m.arch.height,
                              m.config.strategy, m.stats.flit_hops));
}

std::string grid_svg(const Mapping& m, const std::vector<double>& load, const std::string& load_what,
                     const std::vector<int64_t>& link_values, const std::string& link_what, const std::string& title) {
  const Arch& a = m.arch;
  const int cell = 64, gap = 24, pad = 40;
  const int W = pad * 2 + a.width * cell + (a.width - 1) * gap;
  const int H = pad * 2 + a.height * cell + (a.height - 1) * gap + 40;
  auto x0 = [&](int x) { return pad + x * (cell + gap); };
  auto y0 = [&](int y) { return pad + y * (cell + gap); };
  std::vector<int> nslices(size_t(a.cores()), 0);
  for (const Slice& s : m.slices) ++nslices[size_t(m.core_of[size_t(s.id)])];
  int64_t peak = 1;
  for (int64_t v : link_values) peak = std::max(peak, v);
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"10\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W, H);
  o += fmt::format("<text x=\"{}\" y=\"20\" font-size=\"13\">{}</text>\n", pad, title);
  // links: one line per direction, offset, width by traffic
  for (int id = 0; id < a.cores(); ++id) {
    const Coord c = a.at(id);
    for (int port = kEast; port <= kSouth; ++port) {
      const Coord d = step(c, port);
      if (!a.inside(d)) continue;
      const int64_t f = link_values[size_t(id) * 4 + size_t(port - 1)];
      const bool alive = a.link_alive(c, d);
      const double off = (port == kEast || port == kSouth) ? -5 : 5;
      double xa = x0(c.x) + cell / 2.0, ya = y0(c.y) + cell / 2.0, xb = x0(d.x) + cell / 2.0, yb = y0(d.y) + cell / 2.0;
      if (port == kEast || port == kWest) {
        ya += off, yb += off;
        xa += (d.x > c.x ? 1 : -1) * cell / 2.0, xb -= (d.x > c.x ? 1 : -1) * cell / 2.0;
      } else {
        xa += off, xb += off;
        ya += (d.y > c.y ? 1 : -1) * cell / 2.0, yb -= (d.y > c.y ? 1 : -1) * cell / 2.0;
      }
      if (!alive) {
        o += fmt::format(
            "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#d00\" "
            "stroke-dasharray=\"3,3\"/>\n",
            xa, ya, xb, yb);
        continue;
      }
      const double w = f > 0 ? 1 + 5.0 * double(f) / double(peak) : 0.5;
      o += fmt::format(
          "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
          "stroke-width=\"{:.2f}\"><title>{} {}</title></line>\n",
          xa, ya, xb, yb, f > 0 ? "#1f5fa8" : "#ccc", w, f, link_what);
    }
  }
  std::set<Coord> dead(a.dead_cores.begin(), a.dead_cores.end()), deadr(a.dead_routers.begin(), a.dead_routers.end()),
      reserved(a.reserved_cores.begin(), a.reserved_cores.end());
  for (int id = 0; id < a.cores(); ++id) {
    const Coord c = a.at(id);
    const double u = std::min(1.0, load[size_t(id)]);
    const int shade = int(255 - 180 * u);
    std::string fill = nslices[size_t(id)] ? fmt::format("rgb({},{},255)", shade, shade) : "#f4f4f4";
    if (reserved.count(c)) fill = "#fff6d5";
    o += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"{}\" "
        "stroke-width=\"{}\"><title>core ({},{}): {} slices, {} {:.0f}%</title></rect>\n",
        x0(c.x), y0(c.y), cell, cell, fill, c == a.host ? "#090" : "#333", c == a.host ? 3 : 1, c.x, c.y,
        nslices[size_t(id)], load_what, 100 * load[size_t(id)]);
    if (dead.count(c) || deadr.count(c)) {
      o += fmt::format(
          "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d00\" stroke-width=\"3\"/>"
          "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d00\" stroke-width=\"3\"/>\n",
          x0(c.x), y0(c.y), x0(c.x) + cell, y0(c.y) + cell, x0(c.x) + cell, y0(c.y), x0(c.x), y0(c.y) + cell);
    } else if (nslices[size_t(id)]) {
      o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:.0f}%</text>\n", x0(c.x) + cell / 2,
                       y0(c.y) + cell / 2 + 4, 100 * load[size_t(id)]);
    }
  }
  o += fmt::format(
      "<text x=\"{}\" y=\"{}\">shade: {} · blue lines: {} · "
      "red cross: dead · green border: host tile · yellow: reserved</text>\n",
      pad, H - 15, load_what, link_what);
  o += "</svg>\n";
  return o;
}

}  // namespace pcgrid
