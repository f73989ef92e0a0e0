// Fault files and fault selection (faults.hpp, docs/faults.md).
#include "pcgrid/faults.hpp"

#include "pcgrid/kernel.hpp"
#include "pcgrid/reference.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace pcgrid {

using json = nlohmann::json;

const char* to_string(FaultKind k) {
  switch (k) {
    case FaultKind::DeadCore: return "dead_core";
    case FaultKind::DeadRouter: return "dead_router";
    case FaultKind::DeadLink: return "dead_link";
    case FaultKind::SramStuck: return "sram_stuck";
    case FaultKind::SramFlip: return "sram_flip";
    case FaultKind::FlitCorrupt: return "flit_corrupt";
    case FaultKind::FlitDrop: return "flit_drop";
  }
  return "?";
}

namespace {

constexpr int kVersion = 1;
constexpr size_t kMaxFaults = 100000;
constexpr int64_t kMaxSample = int64_t(1) << 40;

struct Reader {
  std::string origin;
  const Arch& a;
  SimError err(const std::string& key, const std::string& what) const {
    return SimError(fmt::format("{}: key '{}': {}", origin, key, what));
  }
  int64_t integer(const json& o, const std::string& key, const std::string& name, int64_t lo, int64_t hi) const {
    const json& v = o.at(name);
    bool ok = v.is_number_integer();
    int64_t x = 0;
    if (ok) {
      if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        ok = u <= uint64_t(hi);
        x = ok ? int64_t(u) : 0;
      } else {
        x = v.get<int64_t>();
      }
      ok = ok && x >= lo && x <= hi;
    }
    if (!ok) throw err(key, fmt::format("expected an integer in {}..{}, got {}", lo, hi, v.dump()));
    return x;
  }
  double number(const json& o, const std::string& key, const std::string& name, double lo, double hi) const {
    const json& v = o.at(name);
    if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi))
      throw err(key, fmt::format("expected a number in [{}, {}], got {}", lo, hi, v.dump()));
    return v.get<double>();
  }
  Coord coord(const json& v, const std::string& key) const {
    if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() || !v[1].is_number_integer())
      throw err(key, fmt::format("expected [x, y], got {}", v.dump()));
    const int64_t x = v[0].get<int64_t>(), y = v[1].get<int64_t>();
    if (x < 0 || y < 0 || x >= a.width || y >= a.height)
      throw err(key, fmt::format("core [{}, {}] is outside the {}x{} grid", x, y, a.width, a.height));
    return {int(x), int(y)};
  }
};

}  // namespace

FaultSet parse_faults(const std::string& text, const std::string& origin, const Arch& a) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& x) {
    throw SimError(fmt::format("{}: invalid JSON: {}", origin, x.what()));
  }
  Reader r{origin, a};
  if (!j.is_object()) throw SimError(fmt::format("{}: expected a JSON object", origin));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "format" && it.key() != "version" && it.key() != "seed" && it.key() != "faults" &&
        it.key() != "description")
      throw r.err(it.key(), "unknown key (expected format, version, seed, faults, description)");
  if (!j.contains("format") || j["format"] != "pcgrid-faults") throw r.err("format", "expected \"pcgrid-faults\"");
  if (!j.contains("version") || j["version"] != kVersion)
    throw r.err("version",
                fmt::format("expected {} (this pcgrid reads fault files of version {})", kVersion, kVersion));
  FaultSet fs;
  if (j.contains("seed")) {
    if (!j["seed"].is_number_unsigned()) throw r.err("seed", "expected a non-negative integer");
    fs.seed = j["seed"].get<uint64_t>();
  }
  if (!j.contains("faults") || !j["faults"].is_array()) throw r.err("faults", "expected an array of faults");
  if (j["faults"].size() > kMaxFaults) throw r.err("faults", fmt::format("at most {} faults", kMaxFaults));
  for (size_t k = 0; k < j["faults"].size(); ++k) {
    const json& o = j["faults"][k];
    const std::string at = fmt::format("faults[{}]", k);
    if (!o.is_object()) throw r.err(at, "expected an object");
    if (!o.contains("kind") || !o["kind"].is_string()) throw r.err(at + ".kind", "missing (a string)");
    Fault f;
    const std::string kind = o["kind"];
    std::set<std::string> allowed{"kind", "at_sample", "at_cycle"};
    if (kind == "dead_core" || kind == "dead_router") {
      f.kind = kind == "dead_core" ? FaultKind::DeadCore : FaultKind::DeadRouter;
      allowed.insert({"cores", "select"});
      if (kind == "dead_core") allowed.insert("router");
    } else if (kind == "dead_link") {
      f.kind = FaultKind::DeadLink;
      allowed.insert("links");
    } else if (kind == "sram_stuck") {
      f.kind = FaultKind::SramStuck;
      allowed.insert({"core", "word", "bit", "value"});
    } else if (kind == "sram_flip" || kind == "flit_corrupt" || kind == "flit_drop") {
      f.kind = kind == "sram_flip"      ? FaultKind::SramFlip
               : kind == "flit_corrupt" ? FaultKind::FlitCorrupt
                                        : FaultKind::FlitDrop;
      allowed.insert("rate");
    } else {
      throw r.err(at + ".kind", fmt::format("unknown fault kind '{}' (expected dead_core, dead_router, dead_link, "
                                            "sram_stuck, sram_flip, flit_corrupt, flit_drop)",
                                            kind));
    }
    for (auto it = o.begin(); it != o.end(); ++it)
      if (!allowed.count(it.key())) throw r.err(at + "." + it.key(), fmt::format("unknown key for a {} fault", kind));
    if (o.contains("at_sample")) f.at_sample = r.integer(o, at + ".at_sample", "at_sample", 0, kMaxSample);
    if (o.contains("at_cycle")) {
      f.at_cycle = r.integer(o, at + ".at_cycle", "at_cycle", 0, kMaxSample);
      if (f.kind != FaultKind::DeadCore && f.kind != FaultKind::DeadRouter && f.kind != FaultKind::DeadLink)
        throw r.err(at + ".at_cycle", "only dead_core, dead_router and dead_link faults can happen at a cycle");
      if (o.contains("at_sample")) throw r.err(at + ".at_cycle", "give at_sample or at_cycle, not both");
    }
    switch (f.kind) {
      case FaultKind::DeadCore:
      case FaultKind::DeadRouter: {
        if (o.contains("cores") == o.contains("select"))
          throw r.err(at, "give either 'cores' (a list of [x, y]) or 'select'");
        if (o.contains("cores")) {
          if (!o["cores"].is_array() || o["cores"].empty())
            throw r.err(at + ".cores", "expected a non-empty list of [x, y]");
          for (size_t c = 0; c < o["cores"].size(); ++c)
            f.cores.push_back(r.coord(o["cores"][c], fmt::format("{}.cores[{}]", at, c)));
        } else {
          const json& s = o["select"];
          const std::string sk = at + ".select";
          if (!s.is_object() || s.size() != 1 ||
              !(s.contains("fraction") || s.contains("fraction_of_used") || s.contains("region")))
            throw r.err(sk,
                        "expected {\"fraction\": F}, {\"fraction_of_used\": F} or {\"region\": \"left_half\" | "
                        "\"right_half\" | \"top_half\" | \"bottom_half\" | \"far_half\"}");
          if (s.contains("fraction")) {
            f.fraction = r.number(s, sk + ".fraction", "fraction", 0.0, 1.0);
          } else if (s.contains("fraction_of_used")) {
            f.fraction = r.number(s, sk + ".fraction_of_used", "fraction_of_used", 0.0, 1.0);
            f.of_used = true;
          } else {
            if (!s["region"].is_string()) throw r.err(sk + ".region", "expected a string");
            f.region = s["region"];
            static const std::set<std::string> regions{"left_half", "right_half", "top_half", "bottom_half",
                                                       "far_half"};
            if (!regions.count(f.region))
              throw r.err(sk + ".region", fmt::format("unknown region '{}' (expected left_half, right_half, "
                                                      "top_half, bottom_half, far_half)",
                                                      f.region));
          }
        }
        if (o.contains("router")) {
          if (o["router"] != "alive" && o["router"] != "dead")
            throw r.err(at + ".router", "expected \"alive\" (the default) or \"dead\"");
          f.router_dies = o["router"] == "dead";
        }
        if (f.kind == FaultKind::DeadRouter) f.router_dies = true;
        break;
      }
      case FaultKind::DeadLink: {
        if (!o.contains("links") || !o["links"].is_array() || o["links"].empty())
          throw r.err(at + ".links", "expected a non-empty list of [[x, y], [x, y]]");
        for (size_t l = 0; l < o["links"].size(); ++l) {
          const json& p = o["links"][l];
          const std::string lk = fmt::format("{}.links[{}]", at, l);
          if (!p.is_array() || p.size() != 2) throw r.err(lk, "expected [[x, y], [x, y]]");
          const Coord u = r.coord(p[0], lk), v = r.coord(p[1], lk);
          if (std::abs(u.x - v.x) + std::abs(u.y - v.y) != 1) throw r.err(lk, "the two routers are not neighbours");
          f.links.push_back({u, v});
        }
        break;
      }
      case FaultKind::SramStuck: {
        for (const char* key : {"core", "word", "bit", "value"})
          if (!o.contains(key)) throw r.err(at + "." + key, "missing");
        f.core = r.coord(o["core"], at + ".core");
        f.word = r.integer(o, at + ".word", "word", 0, a.sram_words - 1);
        f.bit = int(r.integer(o, at + ".bit", "bit", 0, 15));
        f.value = int(r.integer(o, at + ".value", "value", 0, 1));
        break;
      }
      default:
        if (!o.contains("rate")) throw r.err(at + ".rate", "missing");
        f.rate = r.number(o, at + ".rate", "rate", 0.0, 1.0);
        break;
    }
    fs.faults.push_back(f);
  }
  return fs;
}

FaultSet load_faults(const std::string& path, const Arch& a) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw SimError(fmt::format("{}: cannot open fault file", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_faults(ss.str(), path, a);
}

std::vector<Coord> fault_cores(const Fault& f, const Arch& a, const std::vector<Coord>& in_use, uint64_t seed,
                               size_t index) {
  if (!f.cores.empty()) return f.cores;
  std::vector<Coord> out;
  if (!f.region.empty()) {
    std::string reg = f.region;
    if (reg == "far_half") {
      if (a.width >= a.height)
        reg = a.host.x < a.width / 2 ? "right_half" : "left_half";
      else
        reg = a.host.y < a.height / 2 ? "bottom_half" : "top_half";
    }
    for (int y = 0; y < a.height; ++y)
      for (int x = 0; x < a.width; ++x) {
        const bool in = reg == "left_half"    ? x < a.width / 2
                        : reg == "right_half" ? x >= a.width - a.width / 2
                        : reg == "top_half"   ? y < a.height / 2
                                              : y >= a.height - a.height / 2;
        if (in) out.push_back({x, y});
      }
    return out;
  }
  // A random fraction of the grid's cores (or of those in use): a seeded shuffle, the first round(fraction · n).
  std::vector<Coord> pool = in_use;
  if (!f.of_used) {
    pool.clear();
    for (int y = 0; y < a.height; ++y)
      for (int x = 0; x < a.width; ++x) pool.push_back({x, y});
  }
  Rng r(seed * 0x9e3779b97f4a7c15ULL + index + 1);
  for (size_t k = pool.size(); k > 1; --k) std::swap(pool[k - 1], pool[size_t(r.below(k))]);
  const size_t n = size_t(std::llround(f.fraction * double(pool.size())));
  pool.resize(std::min(n, pool.size()));
  std::sort(pool.begin(), pool.end());
  return pool;
}

}  // namespace pcgrid
