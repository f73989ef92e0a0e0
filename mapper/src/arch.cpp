// Architecture files: JSON → Arch. Format documented in docs/arch-format.md.
//
// Every key of the file is declared once, in params() below: type, default, unit, range, meaning and the
// source of the default. The reader (parse_arch), the writer (arch_to_json), the unknown-key check and the
// help text (arch_keys_help, `pcgrid map --help-arch`) are all driven by that table. Adding a parameter
// means: a field in Arch (arch.hpp), one row here, one row in docs/arch-format.md.
//
// Errors are ArchError "ORIGIN: key 'PATH': what was expected", PATH being the dotted key ("core.sram_words")
// or a list entry ("dead_cores[3]"). Every value is range-checked before anything is sized from it, so a
// hostile file cannot make the mapper or simulator allocate absurd amounts of memory.
#include "pcgrid/arch.hpp"
#include "pcgrid/text_pos.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>
#include <variant>

namespace pcgrid {

namespace {

using json = nlohmann::json;
using Link = std::pair<Coord, Coord>;

constexpr const char* kFormat = "pcgrid-arch";
constexpr int64_t kVersion = 1;
constexpr int kMaxGrid = 256;  // cores per side; 256 × 256 = 65536 cores, core ids fit comfortably in int
constexpr size_t kMaxName = 256;

// ---------------------------------------------------------------------------------------------------------
// The parameter table.

enum class Kind {
  Fixed,   // header key with one allowed value ("format", "version")
  Text,    // string
  Int,     // integer in [lo, hi], optionally restricted to `choices`
  Real,    // finite number in (lo or [lo, hi]
  Coords,  // list of [x, y]
  Links,   // list of [[x1, y1], [x2, y2]] joining 4-neighbours
};

using Field =
    std::variant<std::monostate, std::string*, int*, int64_t*, double*, std::vector<Coord>*, std::vector<Link>*>;
using FieldOf = Field (*)(Arch&);

struct Param {
  const char* key;  // path in the file: "clock_mhz" or "section.key" (one level of sections)
  Kind kind;
  const char* unit;
  const char* default_text;  // Fixed: the required string (nullptr: the required integer is default_int);
                             // Text: how the default is chosen (for the help)
  int64_t default_int;
  double default_real;
  int64_t lo, hi;                // Int range
  std::vector<int64_t> choices;  // Int: if non-empty, the only values allowed
  double real_lo, real_hi;       // Real range; real_hi = +inf means "no upper bound"
  bool real_lo_open;
  const char* description;  // one line: what the key means
  const char* source;       // one line: where the default comes from (derivations in the comments below)
  FieldOf field;
};

Param fixed_text(const char* key, const char* value, const char* description) {
  return {key, Kind::Fixed, "", value, 0, 0, 0, 0, {}, 0, 0, false, description, "required", nullptr};
}
Param fixed_int(const char* key, int64_t value, const char* description) {
  return {key, Kind::Fixed, "", nullptr, value, 0, value, value, {}, 0, 0, false, description, "required", nullptr};
}
Param text(const char* key, const char* default_text, const char* description, const char* source, FieldOf f) {
  return {key, Kind::Text, "", default_text, 0, 0, 0, 0, {}, 0, 0, false, description, source, f};
}
Param integer(const char* key, int64_t dflt, int64_t lo, int64_t hi, const char* unit, const char* description,
              const char* source, FieldOf f, std::vector<int64_t> choices = {}) {
  return {key, Kind::Int, unit, nullptr, dflt, 0, lo, hi, std::move(choices), 0, 0, false, description, source, f};
}
Param real(const char* key, double dflt, double lo, bool lo_open, double hi, const char* unit, const char* description,
           const char* source, FieldOf f) {
  return {key, Kind::Real, unit, nullptr, 0, dflt, 0, 0, {}, lo, hi, lo_open, description, source, f};
}
Param list(const char* key, Kind kind, const char* unit, const char* description, FieldOf f) {
  return {key, kind, unit, nullptr, 0, 0, 0, 0, {}, 0, 0, false, description, "none (an intact chip)", f};
}

constexpr double kInf = std::numeric_limits<double>::infinity();

// Sources of the defaults (also in docs/arch-format.md, "Defaults and where they come from").
//
// The default core is what one iCE40 UltraPlus UP5K can hold, because that is the FPGA the RTL core
// targets (`pcgrid synth`, DESIGN.md §4). Datasheet: Lattice, "iCE40 UltraPlus Family Data Sheet",
// FPGA-DS-02008.
//  - grid 8 × 8: ASSUMPTION, a small mesh of 64 cores; files for 4 × 4 and 16 × 16 ship in arch/.
//  - core.sram_words = 16384: one SB_SPRAM256KA block is 16K × 16 bit (256 Kbit); UP5K has four. DESIGN.md §4
//    measured a 16-bit MAC + weight-update datapath with one SPRAM (Yosys infers SPRAM only from a single-port
//    no-change memory). One block per core: 16384 16-bit words = 32 KB.
//  - core.neuron_slots = 256: one EBR (SB_RAM40_4K, 4 Kbit) configured 256 × 16 holds one 16-bit state per
//    slot. ASSUMPTION: values, predictions and errors each get one such array (3 of the UP5K's 30 EBRs).
//  - core.mac_lanes = 1: one SB_MAC16 DSP per core (UP5K has 8). DESIGN.md §4 measured the 16-bit MAC +
//    update datapath at 233 LCs, 1 DSP, 65 MHz on UP5K.
//  - router.buffer_depth = 4, router.flit_bits = 32, router.link_latency = 1: ASSUMPTIONS, values typical of
//    small mesh networks-on-chip (a few flits of input buffering per port, a 32-bit flit carrying a 16-bit
//    payload plus header, single-cycle neighbour links). Not measured.
//  - clock_mhz = 48: the Fmax target of the core on iCE40 UP5K (project issue 5; the UP5K's internal
//    SB_HFOSC oscillator also runs at 48 MHz). The measured datapath (65 MHz, DESIGN.md §4) leaves margin.
//  - host = (0, 0): ASSUMPTION, a corner router (every corner is on the edge of any grid).
//
// Energies: 45 nm figures from M. Horowitz, "Computing's energy problem (and what we can do about it)",
// ISSCC 2014 (8-bit multiply 0.2 pJ, 32-bit multiply 3.1 pJ, 32-bit add 0.1 pJ; 64-bit read from an 8 KB SRAM
// 10 pJ, from a 32 KB SRAM 20 pJ).
//  - energy_pj.mac = 0.9: 16-bit integer multiply interpolated quadratically (array multiplier area ~ n²)
//    between the 8-bit and 32-bit figures, 0.2 · (16/8)² = 0.8 pJ (the same rule gives 3.2 pJ at 32 bit
//    against the measured 3.1), plus a 32-bit accumulate add, 0.1 pJ.
//  - energy_pj.sram_read = 5.0: 20 pJ per 64-bit read from a 32 KB SRAM (the core SRAM, 16K × 16 bit, is
//    32 KB) scaled to a 16-bit word, 20 · 16/64. ASSUMPTION: energy linear in the access width.
//  - energy_pj.sram_write = 5.0: ASSUMPTION, writes cost the same as reads (Horowitz gives reads only).
//  - energy_pj.reg_access = 1.0: ASSUMPTION. The neuron-slot arrays are ≤ 2 KB, below Horowitz's smallest
//    SRAM (8 KB: 10 pJ / 64 bit = 2.5 pJ / 16 bit), so less than 2.5 pJ; 1.0 pJ is a round guess.
//  - energy_pj.flit_hop = 5.0: ASSUMPTION, no figure in Horowitz 2014: a 32-bit flit written and read once in
//    a router FIFO plus ~1 mm of link. To be replaced by a measured value.
const std::vector<Param>& params() {
  static const std::vector<Param> table = {
      fixed_text("format", kFormat, "identifies the file as a pcgrid architecture"),
      fixed_int("version", kVersion, "format version; 1 is the only version this pcgrid reads"),
      text("name", "file name", "architecture name, shown in reports and mapping files",
           "the file name without directory and extension", [](Arch& a) -> Field { return &a.name; }),

      integer("grid.width", 8, 1, kMaxGrid, "cores", "cores along x (east)",
              "assumption: a small 8 x 8 mesh (64 cores)", [](Arch& a) -> Field { return &a.width; }),
      integer("grid.height", 8, 1, kMaxGrid, "cores", "cores along y (south)",
              "assumption: a small 8 x 8 mesh (64 cores)", [](Arch& a) -> Field { return &a.height; }),

      integer("core.sram_words", 16384, 16, int64_t(1) << 24, "16-bit words", "weight SRAM per core",
              "one iCE40 UP SB_SPRAM256KA, 16K x 16 bit (FPGA-DS-02008; DESIGN.md sec. 4)",
              [](Arch& a) -> Field { return &a.sram_words; }),
      integer("core.neuron_slots", 256, 1, int64_t(1) << 20, "slots",
              "neuron slots per core (one value, prediction and error each)",
              "one iCE40 EBR as 256 x 16 per state array (FPGA-DS-02008; assumption: one array per state)",
              [](Arch& a) -> Field { return &a.neuron_slots; }),
      integer("core.mac_lanes", 1, 1, 64, "MAC units", "multiply-accumulates per cycle per core",
              "one SB_MAC16 DSP per core (UP5K has 8; DESIGN.md sec. 4: datapath fits 1 DSP)",
              [](Arch& a) -> Field { return &a.mac_lanes; }),

      integer("router.buffer_depth", 4, 1, 1024, "flits", "input buffer per router port",
              "assumption: typical of small mesh NoCs", [](Arch& a) -> Field { return &a.buffer_depth; }),
      integer("router.flit_bits", 32, 16, 128, "bits", "flit width (one flit crosses a link per cycle)",
              "assumption: typical of small mesh NoCs", [](Arch& a) -> Field { return &a.flit_bits; },
              {16, 32, 64, 128}),
      integer("router.link_latency", 1, 1, 1000, "cycles", "latency of one router-to-router link",
              "assumption: typical of small mesh NoCs", [](Arch& a) -> Field { return &a.link_latency; }),

      real("clock_mhz", 48, 0, true, 2000, "MHz", "core and network clock",
           "Fmax target of the core on iCE40 UP5K (issue 5)", [](Arch& a) -> Field { return &a.clock_mhz; }),

      integer("host.x", 0, 0, kMaxGrid - 1, "core x", "router the host-interface tile attaches to (grid edge)",
              "assumption: corner (0, 0)", [](Arch& a) -> Field { return &a.host.x; }),
      integer("host.y", 0, 0, kMaxGrid - 1, "core y", "router the host-interface tile attaches to (grid edge)",
              "assumption: corner (0, 0)", [](Arch& a) -> Field { return &a.host.y; }),

      real("energy_pj.mac", 0.9, 0, false, kInf, "pJ", "one 16-bit multiply-accumulate",
           "Horowitz ISSCC 2014 45 nm: 0.2*(16/8)^2 pJ multiply + 0.1 pJ 32-bit add",
           [](Arch& a) -> Field { return &a.energy.mac_pj; }),
      real("energy_pj.sram_read", 5.0, 0, false, kInf, "pJ", "one 16-bit word read from the weight SRAM",
           "Horowitz 2014: 20 pJ / 64 bit from 32 KB SRAM, scaled to 16 bit (assumption: linear)",
           [](Arch& a) -> Field { return &a.energy.sram_read_pj; }),
      real("energy_pj.sram_write", 5.0, 0, false, kInf, "pJ", "one 16-bit word written to the weight SRAM",
           "assumption: equal to sram_read", [](Arch& a) -> Field { return &a.energy.sram_write_pj; }),
      real("energy_pj.reg_access", 1.0, 0, false, kInf, "pJ", "one neuron-slot access",
           "assumption: <= 2 KB array, below Horowitz's 8 KB SRAM (2.5 pJ / 16 bit)",
           [](Arch& a) -> Field { return &a.energy.reg_access_pj; }),
      real("energy_pj.flit_hop", 5.0, 0, false, kInf, "pJ", "one flit through one router and one link",
           "assumption (FIFO write + read + ~1 mm link); no figure in Horowitz 2014, replace by a measurement",
           [](Arch& a) -> Field { return &a.energy.flit_hop_pj; }),

      list("dead_cores", Kind::Coords, "[x, y]", "cores whose compute is dead (their router still forwards)",
           [](Arch& a) -> Field { return &a.dead_cores; }),
      list("dead_routers", Kind::Coords, "[x, y]", "dead routers (their core is dead too)",
           [](Arch& a) -> Field { return &a.dead_routers; }),
      list("dead_links", Kind::Links, "[a, b] pairs", "dead links between 4-neighbour routers (both ways)",
           [](Arch& a) -> Field { return &a.dead_links; }),
      list("reserved_cores", Kind::Coords, "[x, y]", "cores the mapper must leave empty (e.g. spares)",
           [](Arch& a) -> Field { return &a.reserved_cores; }),
  };
  return table;
}

// "section.key" → {"section", "key"}; "key" → {"", "key"}.
std::pair<std::string, std::string> split(const std::string& key) {
  auto dot = key.find('.');
  if (dot == std::string::npos) return {"", key};
  return {key.substr(0, dot), key.substr(dot + 1)};
}

// Keys allowed in an object of the file: section "" is the top level.
std::vector<std::string> allowed_keys(const std::string& section) {
  std::vector<std::string> keys;
  for (const Param& p : params()) {
    auto [sec, leaf] = split(p.key);
    std::string k = section.empty() ? (sec.empty() ? leaf : sec) : (sec == section ? leaf : "");
    if (!k.empty() && std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  return keys;
}

bool is_section(const std::string& name) {
  for (const Param& p : params())
    if (split(p.key).first == name) return true;
  return false;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string fmt_real(double v) { return fmt::format("{}", v); }

// What a valid value of p looks like, e.g. "an integer in 1..256", "one of 16, 32, 64, 128".
std::string expected(const Param& p) {
  switch (p.kind) {
    case Kind::Int: {
      if (!p.choices.empty()) {
        std::vector<std::string> c;
        for (auto v : p.choices) c.push_back(std::to_string(v));
        return "one of " + join(c);
      }
      return fmt::format("an integer in {}..{}", p.lo, p.hi);
    }
    case Kind::Real:
      if (std::isinf(p.real_hi)) return fmt::format("a finite number >= {}", fmt_real(p.real_lo));
      return fmt::format("a number in {}{}, {}]", p.real_lo_open ? "(" : "[", fmt_real(p.real_lo), fmt_real(p.real_hi));
    case Kind::Text: return fmt::format("a non-empty string of at most {} characters", kMaxName);
    case Kind::Coords: return "an array of [x, y] core coordinates";
    case Kind::Links: return "an array of [[x1, y1], [x2, y2]] links between neighbouring cores";
    case Kind::Fixed: break;
  }
  return "";
}

// Range column of the help: "1..256", "16|32|64|128", "(0, 2000]", ">= 0".
std::string range_text(const Param& p) {
  switch (p.kind) {
    case Kind::Int: {
      if (p.choices.empty()) return fmt::format("{}..{}", p.lo, p.hi);
      std::string s;
      for (auto v : p.choices) s += (s.empty() ? "" : "|") + std::to_string(v);
      return s;
    }
    case Kind::Real:
      if (std::isinf(p.real_hi)) return ">= " + fmt_real(p.real_lo);
      return fmt::format("{}{}, {}]", p.real_lo_open ? "(" : "[", fmt_real(p.real_lo), fmt_real(p.real_hi));
    default: return "";
  }
}

// A JSON value for an error message: numbers as written, anything else with its type.
std::string describe(const json& j) {
  std::string d = j.dump();
  if (d.size() > 60) d = d.substr(0, 57) + "...";
  if (j.is_number()) return d;
  return fmt::format("{} {}", j.type_name(), d);
}

std::string str(Coord c) { return fmt::format("({}, {})", c.x, c.y); }

// ---------------------------------------------------------------------------------------------------------
// Reading.

struct Reader {
  const std::string& origin;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw ArchError(fmt::format("{}: key '{}': {}", origin, key, what));
  }
  [[noreturn]] void fail_top(const std::string& what) const { throw ArchError(fmt::format("{}: {}", origin, what)); }

  // Integer value of j if it is a JSON integer (clamped to the int64 range), else nothing.
  static bool as_int(const json& j, int64_t& v) {
    if (!j.is_number_integer()) return false;
    v = j.is_number_unsigned() && j.get<uint64_t>() > uint64_t(INT64_MAX) ? INT64_MAX : j.get<int64_t>();
    return true;
  }

  int64_t integer(const Param& p, const json& j) const {
    int64_t v = 0;
    bool ok = as_int(j, v) && v >= p.lo && v <= p.hi;
    if (ok && !p.choices.empty()) ok = std::find(p.choices.begin(), p.choices.end(), v) != p.choices.end();
    if (!ok) fail(p.key, fmt::format("expected {}, got {}", expected(p), describe(j)));
    return v;
  }

  double number(const Param& p, const json& j) const {
    if (!j.is_number()) fail(p.key, fmt::format("expected {}, got {}", expected(p), describe(j)));
    double v = j.get<double>();
    bool ok = std::isfinite(v) && (p.real_lo_open ? v > p.real_lo : v >= p.real_lo) && v <= p.real_hi;
    if (!ok) fail(p.key, fmt::format("expected {}, got {}", expected(p), describe(j)));
    return v;
  }

  std::string string(const Param& p, const json& j) const {
    if (!j.is_string() || j.get_ref<const std::string&>().empty() || j.get_ref<const std::string&>().size() > kMaxName)
      fail(p.key, fmt::format("expected {}, got {}", expected(p), describe(j)));
    return j.get<std::string>();
  }

  // [x, y] inside the grid.
  Coord coord(const Arch& a, const std::string& where, const json& j) const {
    int64_t x = 0, y = 0;
    if (!j.is_array() || j.size() != 2 || !as_int(j[0], x) || !as_int(j[1], y))
      fail(where, fmt::format("expected [x, y] with integers x, y, got {}", describe(j)));
    if (x < 0 || y < 0 || x >= a.width || y >= a.height)
      fail(where, fmt::format("[{}, {}] is outside the {}x{} grid (x in 0..{}, y in 0..{})", x, y, a.width, a.height,
                              a.width - 1, a.height - 1));
    return {int(x), int(y)};
  }

  std::vector<Coord> coords(const Param& p, const Arch& a, const json& j) const {
    if (!j.is_array()) fail(p.key, fmt::format("expected {}, got {}", expected(p), describe(j)));
    if (j.size() > size_t(a.cores()))
      fail(p.key, fmt::format("{} entries, but the {}x{} grid has only {} cores (entries must be distinct)", j.size(),
                              a.width, a.height, a.cores()));
    std::vector<Coord> out;
    std::map<Coord, size_t> first;
    for (size_t k = 0; k < j.size(); ++k) {
      std::string where = fmt::format("{}[{}]", p.key, k);
      Coord c = coord(a, where, j[k]);
      auto [it, fresh] = first.emplace(c, k);
      if (!fresh) fail(where, fmt::format("{} is a duplicate of {}[{}]", str(c), p.key, it->second));
      out.push_back(c);
    }
    return out;
  }

  std::vector<Link> links(const Param& p, const Arch& a, const json& j) const {
    if (!j.is_array()) fail(p.key, fmt::format("expected {}, got {}", expected(p), describe(j)));
    size_t max_links = size_t(a.width - 1) * a.height + size_t(a.height - 1) * a.width;
    if (j.size() > max_links)
      fail(p.key, fmt::format("{} entries, but the {}x{} grid has only {} links (entries must be distinct)", j.size(),
                              a.width, a.height, max_links));
    std::vector<Link> out;
    std::map<Link, size_t> first;
    for (size_t k = 0; k < j.size(); ++k) {
      std::string where = fmt::format("{}[{}]", p.key, k);
      const json& e = j[k];
      if (!e.is_array() || e.size() != 2)
        fail(where, fmt::format("expected [[x1, y1], [x2, y2]], got {}", describe(e)));
      Coord c1 = coord(a, where, e[0]), c2 = coord(a, where, e[1]);
      if (std::abs(c1.x - c2.x) + std::abs(c1.y - c2.y) != 1)
        fail(where, fmt::format("{} and {} are not neighbours (a link joins cores one step apart in x or y)", str(c1),
                                str(c2)));
      Link canon = c2 < c1 ? Link{c2, c1} : Link{c1, c2};
      auto [it, fresh] = first.emplace(canon, k);
      if (!fresh) fail(where, fmt::format("link {}-{} is a duplicate of {}[{}]", str(c1), str(c2), p.key, it->second));
      out.push_back({c1, c2});
    }
    return out;
  }
};

// JSON syntax check plus duplicate-key detection (nlohmann keeps the last of two equal keys silently).
json parse_json(const std::string& text, const std::string& origin) {
  struct Frame {
    bool object;
    std::string path;
    std::set<std::string> keys;
  };
  std::vector<Frame> stack;
  std::string last_key;
  auto child_path = [&]() -> std::string {
    if (stack.empty()) return "";
    const Frame& f = stack.back();
    if (f.object) return f.path.empty() ? last_key : f.path + "." + last_key;
    return f.path + "[]";
  };
  json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) -> bool {
    switch (event) {
      case json::parse_event_t::object_start: stack.push_back({true, child_path(), {}}); break;
      case json::parse_event_t::array_start: stack.push_back({false, child_path(), {}}); break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!stack.empty()) stack.pop_back();
        break;
      case json::parse_event_t::key: {
        last_key = parsed.get<std::string>();
        if (!stack.empty() && !stack.back().keys.insert(last_key).second) {
          const std::string& p = stack.back().path;
          throw ArchError(fmt::format("{}: key '{}': given twice", origin, p.empty() ? last_key : p + "." + last_key));
        }
        break;
      }
      default: break;
    }
    return true;
  };
  try {
    return json::parse(text, cb);
  } catch (const json::parse_error& e) {
    std::string msg = e.what();
    auto p = msg.find("syntax error");
    throw ArchError(fmt::format("{}: {}: invalid JSON: {}", origin, line_col(text, e.byte ? e.byte - 1 : 0),
                                p == std::string::npos ? msg : msg.substr(p)));
  } catch (const json::exception& e) {
    // Not a syntax error but still a bad document, e.g. "number overflow parsing '1e400'"; no position known.
    std::string msg = e.what();
    auto p = msg.find("] ");
    throw ArchError(fmt::format("{}: invalid JSON: {}", origin, p == std::string::npos ? msg : msg.substr(p + 2)));
  }
}

const json* find(const json& doc, const std::string& key) {
  auto [sec, leaf] = split(key);
  const json* o = &doc;
  if (!sec.empty()) {
    auto it = doc.find(sec);
    if (it == doc.end()) return nullptr;
    o = &*it;
  }
  auto it = o->find(leaf);
  return it == o->end() ? nullptr : &*it;
}

std::string default_name(const std::string& origin) {
  std::string stem = std::filesystem::path(origin).stem().string();
  if (stem.empty()) stem = "unnamed";
  if (stem.size() > kMaxName) stem.resize(kMaxName);
  return stem;
}

// Visitor helper: calls f with the typed pointer to p's field (nothing for the header keys).
template <class F>
void with_field(const Param& p, Arch& a, F&& f) {
  Field fld = p.field ? p.field(a) : Field{};
  std::visit(
      [&](auto v) {
        if constexpr (!std::is_same_v<decltype(v), std::monostate>) f(v);
      },
      fld);
}

// Sets p's field to its default (the name's default depends on the file name and is set by the caller).
void set_default(const Param& p, Arch& a) {
  with_field(p, a, [&](auto* f) {
    using T = std::remove_pointer_t<decltype(f)>;
    if constexpr (std::is_same_v<T, int> || std::is_same_v<T, int64_t>) {
      *f = T(p.default_int);
    } else if constexpr (std::is_same_v<T, double>) {
      *f = p.default_real;
    } else if constexpr (std::is_same_v<T, std::vector<Coord>> || std::is_same_v<T, std::vector<Link>>) {
      f->clear();
    }
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

Arch default_arch() {
  Arch a;
  for (const Param& p : params()) set_default(p, a);
  a.name = "default";
  return a;
}

Arch parse_arch(const std::string& text, const std::string& origin) {
  Reader r{origin};
  json doc = parse_json(text, origin);
  if (!doc.is_object()) r.fail_top(fmt::format("expected a JSON object at the top level, got {}", doc.type_name()));

  // Header.
  auto fmt_it = doc.find("format");
  if (fmt_it == doc.end())
    r.fail("format", fmt::format("missing; an architecture file starts with \"format\": \"{}\"", kFormat));
  if (*fmt_it != kFormat) r.fail("format", fmt::format("must be \"{}\", got {}", kFormat, describe(*fmt_it)));
  auto ver_it = doc.find("version");
  int64_t ver = 0;
  if (ver_it == doc.end() || !Reader::as_int(*ver_it, ver) || ver != kVersion)
    r.fail("version", fmt::format("must be {} (the only architecture format version this pcgrid reads), got {}",
                                  kVersion, ver_it == doc.end() ? "nothing" : describe(*ver_it)));

  // Unknown keys, at the top level and in every section.
  const auto top = allowed_keys("");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (std::find(top.begin(), top.end(), it.key()) == top.end())
      r.fail(it.key(), fmt::format("unknown key (expected one of: {})", join(top)));
    if (!is_section(it.key())) continue;
    const auto inner = allowed_keys(it.key());
    if (!it->is_object())
      r.fail(it.key(), fmt::format("expected an object with keys {}, got {}", join(inner), describe(*it)));
    for (auto jt = it->begin(); jt != it->end(); ++jt)
      if (std::find(inner.begin(), inner.end(), jt.key()) == inner.end())
        r.fail(it.key() + "." + jt.key(), fmt::format("unknown key (expected one of: {})", join(inner)));
  }

  // Scalars first (the lists are checked against the grid), in table order.
  Arch a;
  a.name = default_name(origin);
  for (const Param& p : params()) {
    if (p.kind == Kind::Fixed || p.kind == Kind::Coords || p.kind == Kind::Links) continue;
    const json* j = find(doc, p.key);
    if (!j) {
      set_default(p, a);
      continue;
    }
    with_field(p, a, [&](auto* f) {
      using T = std::remove_pointer_t<decltype(f)>;
      if constexpr (std::is_same_v<T, int> || std::is_same_v<T, int64_t>) {
        *f = T(r.integer(p, *j));
      } else if constexpr (std::is_same_v<T, double>) {
        *f = r.number(p, *j);
      } else if constexpr (std::is_same_v<T, std::string>) {
        *f = r.string(p, *j);
      }
    });
  }

  // The host-interface tile attaches to an edge router.
  if (!a.inside(a.host))
    r.fail("host", fmt::format("{} is outside the {}x{} grid (x in 0..{}, y in 0..{})", str(a.host), a.width, a.height,
                               a.width - 1, a.height - 1));
  if (!(a.host.x == 0 || a.host.y == 0 || a.host.x == a.width - 1 || a.host.y == a.height - 1))
    r.fail("host", fmt::format("{} is not on the edge of the {}x{} grid (need x = 0 or {}, or y = 0 or {}): the "
                               "host-interface tile attaches to an edge router",
                               str(a.host), a.width, a.height, a.width - 1, a.height - 1));

  // Fault and reservation lists.
  for (const Param& p : params()) {
    if (p.kind != Kind::Coords && p.kind != Kind::Links) continue;
    const json* j = find(doc, p.key);
    if (!j) continue;
    with_field(p, a, [&](auto* f) {
      using T = std::remove_pointer_t<decltype(f)>;
      if constexpr (std::is_same_v<T, std::vector<Coord>>) {
        *f = r.coords(p, a, *j);
      } else if constexpr (std::is_same_v<T, std::vector<Link>>) {
        *f = r.links(p, a, *j);
      }
    });
  }
  for (size_t k = 0; k < a.dead_routers.size(); ++k)
    if (a.dead_routers[k] == a.host)
      r.fail("host", fmt::format("the host router {} is dead (dead_routers[{}]); the host tile needs a live router",
                                 str(a.host), k));
  return a;
}

Arch load_arch(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ArchError(fmt::format("{}: is a directory, not an architecture file", path));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ArchError(fmt::format("{}: cannot open architecture file", path));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw ArchError(fmt::format("{}: read error", path));
  return parse_arch(ss.str(), path);
}

std::string arch_to_json(const Arch& arch) {
  Arch a = arch;  // fields are reached through the table's (non-const) accessors
  auto coord = [](Coord c) { return fmt::format("[{}, {}]", c.x, c.y); };
  std::string out = "{";
  std::string open;  // section whose object is being written
  bool first = true;
  for (const Param& p : params()) {
    std::string value;
    if (p.kind == Kind::Fixed) {
      value = p.default_text ? json(p.default_text).dump() : std::to_string(p.default_int);
    } else {
      with_field(p, a, [&](auto* f) {
        using T = std::remove_pointer_t<decltype(f)>;
        if constexpr (std::is_same_v<T, std::string>) {
          value = json(*f).dump();
        } else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, int64_t>) {
          value = std::to_string(*f);
        } else if constexpr (std::is_same_v<T, double>) {
          value = json(*f).dump();  // shortest text that reads back to the same double
        } else if constexpr (std::is_same_v<T, std::vector<Coord>>) {
          for (Coord c : *f) value += (value.empty() ? "" : ", ") + coord(c);
          value = "[" + value + "]";
        } else if constexpr (std::is_same_v<T, std::vector<Link>>) {
          for (const Link& l : *f)
            value += (value.empty() ? "" : ", ") + fmt::format("[{}, {}]", coord(l.first), coord(l.second));
          value = "[" + value + "]";
        }
      });
    }
    auto [sec, leaf] = split(p.key);
    if (!sec.empty() && sec == open) {
      out += fmt::format(", \"{}\": {}", leaf, value);
      continue;
    }
    if (!open.empty()) out += "}";
    out += first ? "\n" : ",\n";
    first = false;
    if (sec.empty()) {
      out += fmt::format("  \"{}\": {}", leaf, value);
    } else {
      out += fmt::format("  \"{}\": {{\"{}\": {}", sec, leaf, value);
    }
    open = sec;
  }
  if (!open.empty()) out += "}";
  out += "\n}\n";
  return out;
}

std::string arch_keys_help() {
  std::string out =
      "Architecture file keys (JSON, docs/arch-format.md). Keys missing from a file take the default;\n"
      "unknown keys are errors. Sections are nested objects: \"core.sram_words\" is {\"core\": {\"sram_words\": "
      "...}}.\n\n";
  out += fmt::format("{:<22} {:<13} {:<13} {:<15} {}\n", "key", "default", "unit", "range", "meaning");
  for (const Param& p : params()) {
    std::string dflt;
    switch (p.kind) {
      case Kind::Fixed:
        dflt = p.default_text ? fmt::format("\"{}\"", p.default_text) : std::to_string(p.default_int);
        break;
      case Kind::Text: dflt = fmt::format("<{}>", p.default_text); break;
      case Kind::Int: dflt = std::to_string(p.default_int); break;
      case Kind::Real: dflt = fmt_real(p.default_real); break;
      case Kind::Coords:
      case Kind::Links: dflt = "[]"; break;
    }
    std::string range = p.kind == Kind::Fixed ? "required" : range_text(p);
    out += fmt::format("{:<22} {:<13} {:<13} {:<15} {}\n", p.key, dflt, p.unit, range, p.description);
    if (p.kind != Kind::Fixed) out += fmt::format("{:<22} default from: {}\n", "", p.source);
  }
  out +=
      "\nhost must be on the grid edge and its router alive. List entries must lie inside the grid and be distinct;\n"
      "dead_links join 4-neighbours. A dead router implies a dead core.\n";
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Arch queries. The fault lists are short (a few entries), so linear scans are fine.

bool Arch::router_alive(Coord c) const {
  return inside(c) && std::find(dead_routers.begin(), dead_routers.end(), c) == dead_routers.end();
}

bool Arch::usable(Coord c) const {
  return router_alive(c) && std::find(dead_cores.begin(), dead_cores.end(), c) == dead_cores.end() &&
         std::find(reserved_cores.begin(), reserved_cores.end(), c) == reserved_cores.end();
}

bool Arch::link_alive(Coord a, Coord b) const {
  if (std::abs(a.x - b.x) + std::abs(a.y - b.y) != 1) return false;
  if (!router_alive(a) || !router_alive(b)) return false;
  for (const auto& l : dead_links)
    if ((l.first == a && l.second == b) || (l.first == b && l.second == a)) return false;
  return true;
}

}  // namespace pcgrid
