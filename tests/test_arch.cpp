// Architecture files (docs/arch-format.md): defaults, the shipped arch/*.json, the canonical writer's round trip,
// the fault-list queries, and bad inputs tested for their error text ("FILE: key 'k': what was expected").
#include "pcgrid/arch.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace pcgrid;
using Catch::Contains;

namespace {

std::string arch_dir() { return std::string(PCGRID_SOURCE_DIR) + "/arch"; }

Arch parse(const std::string& text) { return parse_arch(text, "arch.json"); }

// A document with the header and the given extra top-level members (without braces).
std::string doc(const std::string& members = "") {
  return R"({"format": "pcgrid-arch", "version": 1)" + (members.empty() ? "" : ", " + members) + "}";
}

// Every field equal (doubles exactly).
void require_same(const Arch& a, const Arch& b) {
  REQUIRE(a.name == b.name);
  REQUIRE(a.width == b.width);
  REQUIRE(a.height == b.height);
  REQUIRE(a.sram_words == b.sram_words);
  REQUIRE(a.neuron_slots == b.neuron_slots);
  REQUIRE(a.mac_lanes == b.mac_lanes);
  REQUIRE(a.buffer_depth == b.buffer_depth);
  REQUIRE(a.flit_bits == b.flit_bits);
  REQUIRE(a.link_latency == b.link_latency);
  REQUIRE(a.clock_mhz == b.clock_mhz);
  REQUIRE(a.host == b.host);
  REQUIRE(a.energy.mac_pj == b.energy.mac_pj);
  REQUIRE(a.energy.sram_read_pj == b.energy.sram_read_pj);
  REQUIRE(a.energy.sram_write_pj == b.energy.sram_write_pj);
  REQUIRE(a.energy.reg_access_pj == b.energy.reg_access_pj);
  REQUIRE(a.energy.flit_hop_pj == b.energy.flit_hop_pj);
  REQUIRE(a.dead_cores == b.dead_cores);
  REQUIRE(a.dead_routers == b.dead_routers);
  REQUIRE(a.dead_links == b.dead_links);
  REQUIRE(a.reserved_cores == b.reserved_cores);
}

}  // namespace

TEST_CASE("default_arch holds the documented defaults", "[arch]") {
  Arch a = default_arch();
  REQUIRE(a.name == "default");
  REQUIRE(a.width == 8);
  REQUIRE(a.height == 8);
  REQUIRE(a.sram_words == 16384);
  REQUIRE(a.neuron_slots == 256);
  REQUIRE(a.mac_lanes == 1);
  REQUIRE(a.buffer_depth == 4);
  REQUIRE(a.flit_bits == 32);
  REQUIRE(a.link_latency == 1);
  REQUIRE(a.clock_mhz == 48.0);
  REQUIRE(a.host == Coord{0, 0});
  REQUIRE(a.energy.mac_pj == 0.9);
  REQUIRE(a.energy.sram_read_pj == 5.0);
  REQUIRE(a.energy.sram_write_pj == 5.0);
  REQUIRE(a.energy.reg_access_pj == 1.0);
  REQUIRE(a.energy.flit_hop_pj == 5.0);
  REQUIRE(a.dead_cores.empty());
  REQUIRE(a.dead_routers.empty());
  REQUIRE(a.dead_links.empty());
  REQUIRE(a.reserved_cores.empty());
}

TEST_CASE("arch/default.json equals default_arch, and missing keys take the defaults", "[arch]") {
  require_same(load_arch(arch_dir() + "/default.json"), default_arch());
  // Only the header: the name defaults to the file's stem.
  require_same(parse_arch(doc(), "some/dir/default.json"), default_arch());
  REQUIRE(parse_arch(doc(), "x/my_chip.json").name == "my_chip");
  // A partial section keeps the defaults of the keys it omits.
  Arch a = parse(doc(R"("core": {"mac_lanes": 4}, "energy_pj": {"mac": 0.5})"));
  REQUIRE(a.mac_lanes == 4);
  REQUIRE(a.sram_words == 16384);
  REQUIRE(a.neuron_slots == 256);
  REQUIRE(a.energy.mac_pj == 0.5);
  REQUIRE(a.energy.flit_hop_pj == 5.0);
}

TEST_CASE("every shipped architecture file loads and round-trips", "[arch]") {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(arch_dir())) {
    if (e.path().extension() != ".json") continue;
    ++n;
    INFO(e.path().string());
    Arch a = load_arch(e.path().string());
    REQUIRE(a.name == e.path().stem().string());
    std::string text = arch_to_json(a);
    Arch b = parse_arch(text, "roundtrip.json");
    require_same(a, b);
    REQUIRE(arch_to_json(b) == text);
  }
  REQUIRE(n >= 4);

  Arch s = load_arch(arch_dir() + "/small_4x4.json");
  REQUIRE(s.width == 4);
  REQUIRE(s.height == 4);
  REQUIRE(s.sram_words == default_arch().sram_words);
  Arch l = load_arch(arch_dir() + "/large_16x16.json");
  REQUIRE(l.cores() == 256);
}

TEST_CASE("arch_to_json round-trips every field exactly", "[arch]") {
  Arch a = default_arch();
  a.name = "odd \"name\" \\ with escapes";
  a.width = 5;
  a.height = 3;
  a.sram_words = 1 << 24;
  a.neuron_slots = 1;
  a.mac_lanes = 64;
  a.buffer_depth = 1024;
  a.flit_bits = 128;
  a.link_latency = 1000;
  a.clock_mhz = 0.1 + 0.2;  // not exactly representable as a short decimal
  a.host = {4, 1};
  a.energy = {1.0 / 3.0, 1e-7, 0.0, 123456.789, 2.5e-300};
  a.dead_cores = {{1, 1}, {0, 2}};
  a.dead_routers = {{2, 1}};
  a.dead_links = {{{3, 1}, {3, 0}}, {{0, 0}, {1, 0}}};
  a.reserved_cores = {{4, 2}};
  std::string text = arch_to_json(a);
  Arch b = parse_arch(text, "x.json");
  require_same(a, b);
  REQUIRE(arch_to_json(b) == text);
}

TEST_CASE("fault lists: usable, router_alive, link_alive", "[arch]") {
  Arch a = load_arch(arch_dir() + "/damaged_8x8.json");
  REQUIRE(a.dead_cores.size() >= 2);
  REQUIRE(a.dead_routers.size() == 1);
  REQUIRE(a.dead_links.size() == 1);
  REQUIRE(a.reserved_cores.size() == 2);
  for (Coord c : a.dead_cores) {
    REQUIRE_FALSE(a.usable(c));
    REQUIRE(a.router_alive(c));
  }
  for (Coord c : a.reserved_cores) {
    REQUIRE_FALSE(a.usable(c));
    REQUIRE(a.router_alive(c));
  }
  Coord r = a.dead_routers[0];
  REQUIRE_FALSE(a.router_alive(r));
  REQUIRE_FALSE(a.usable(r));
  REQUIRE_FALSE(a.link_alive(r, {r.x + 1, r.y}));
  REQUIRE_FALSE(a.link_alive({r.x, r.y - 1}, r));
  auto [l1, l2] = a.dead_links[0];
  REQUIRE_FALSE(a.link_alive(l1, l2));
  REQUIRE_FALSE(a.link_alive(l2, l1));
  REQUIRE(a.usable(a.host));
  REQUIRE(a.link_alive({0, 0}, {1, 0}));
  REQUIRE(a.link_alive({1, 0}, {0, 0}));
  REQUIRE_FALSE(a.link_alive({0, 0}, {1, 1}));   // not neighbours
  REQUIRE_FALSE(a.link_alive({0, 0}, {0, 0}));   // same core
  REQUIRE_FALSE(a.link_alive({0, 0}, {-1, 0}));  // outside
  REQUIRE_FALSE(a.usable({8, 0}));
  REQUIRE_FALSE(a.router_alive({0, -1}));
  int usable = 0;
  for (int id = 0; id < a.cores(); ++id) usable += a.usable(a.at(id));
  REQUIRE(usable == a.cores() - int(a.dead_cores.size() + a.dead_routers.size() + a.reserved_cores.size()));
}

TEST_CASE("arch_keys_help lists every key with its default", "[arch]") {
  std::string h = arch_keys_help();
  for (const char* k : {"format",
                        "version",
                        "name",
                        "grid.width",
                        "grid.height",
                        "core.sram_words",
                        "core.neuron_slots",
                        "core.mac_lanes",
                        "router.buffer_depth",
                        "router.flit_bits",
                        "router.link_latency",
                        "clock_mhz",
                        "host.x",
                        "host.y",
                        "energy_pj.mac",
                        "energy_pj.sram_read",
                        "energy_pj.sram_write",
                        "energy_pj.reg_access",
                        "energy_pj.flit_hop",
                        "dead_cores",
                        "dead_routers",
                        "dead_links",
                        "reserved_cores"})
    REQUIRE_THAT(h, Contains(k));
  REQUIRE_THAT(h, Contains("16384"));
  REQUIRE_THAT(h, Contains("16|32|64|128"));
  REQUIRE_THAT(h, Contains("Horowitz"));
}

// ---------------------------------------------------------------------------------------------------------
// Bad inputs (expected failures), each with the text of its error.

TEST_CASE("bad arch: malformed JSON is reported with line and column", "[arch][errors]") {
  REQUIRE_THROWS_AS(parse("{\n  \"format\": \"pcgrid-arch\",\n  \"version\": 1,\n  \"grid\": {,}\n}"), ArchError);
  REQUIRE_THROWS_WITH(parse("{\n  \"format\": \"pcgrid-arch\",\n  \"version\": 1,\n  \"grid\": {,}\n}"),
                      Contains("arch.json: line 4, column 12: invalid JSON"));
  REQUIRE_THROWS_WITH(parse(""), Contains("arch.json: line 1, column 1: invalid JSON"));
  REQUIRE_THROWS_WITH(parse(doc() + " trailing"), Contains("invalid JSON"));
  REQUIRE_THROWS_WITH(parse(doc(R"("clock_mhz": 1e400)")), Contains("arch.json: invalid JSON: number overflow"));
}

TEST_CASE("bad arch: top level, format and version", "[arch][errors]") {
  REQUIRE_THROWS_WITH(parse("[1, 2]"), Contains("arch.json: expected a JSON object at the top level, got array"));
  REQUIRE_THROWS_WITH(parse(R"({"version": 1})"), Contains("arch.json: key 'format': missing"));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-model", "version": 1})"),
                      Contains("arch.json: key 'format': must be \"pcgrid-arch\", got string \"pcgrid-model\""));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-arch", "version": 2})"),
                      Contains("arch.json: key 'version': must be 1 (the only architecture format version this "
                               "pcgrid reads), got 2"));
  REQUIRE_THROWS_WITH(parse(R"({"format": "pcgrid-arch"})"), Contains("key 'version': must be 1"));
}

TEST_CASE("bad arch: unknown keys at the top and in a section", "[arch][errors]") {
  REQUIRE_THROWS_WITH(parse(doc(R"("grdi": {"width": 4})")),
                      Contains("arch.json: key 'grdi': unknown key (expected one of: format, version, name, grid, "
                               "core, router, clock_mhz, host, energy_pj, dead_cores, dead_routers, dead_links, "
                               "reserved_cores)"));
  REQUIRE_THROWS_WITH(
      parse(doc(R"("core": {"sram_wrds": 1024})")),
      Contains("arch.json: key 'core.sram_wrds': unknown key (expected one of: sram_words, neuron_slots, mac_lanes)"));
  REQUIRE_THROWS_WITH(parse(doc(R"("energy_pj": {"mac": 1, "dram": 100})")),
                      Contains("key 'energy_pj.dram': unknown key (expected one of: mac, sram_read, sram_write, "
                               "reg_access, flit_hop)"));
  REQUIRE_THROWS_WITH(parse(doc(R"("grid": 8)")),
                      Contains("key 'grid': expected an object with keys width, height, got 8"));
}

TEST_CASE("bad arch: a key given twice", "[arch][errors]") {
  REQUIRE_THROWS_WITH(parse(doc(R"("grid": {"width": 4, "width": 5})")),
                      Contains("arch.json: key 'grid.width': given twice"));
  REQUIRE_THROWS_WITH(parse(doc(R"("clock_mhz": 10, "clock_mhz": 20)")), Contains("key 'clock_mhz': given twice"));
}

TEST_CASE("bad arch: wrong types", "[arch][errors]") {
  REQUIRE_THROWS_WITH(parse(doc(R"("grid": {"width": "8"})")),
                      Contains("arch.json: key 'grid.width': expected an integer in 1..256, got string \"8\""));
  REQUIRE_THROWS_WITH(parse(doc(R"("core": {"mac_lanes": 1.5})")),
                      Contains("key 'core.mac_lanes': expected an integer in 1..64, got 1.5"));
  REQUIRE_THROWS_WITH(parse(doc(R"("clock_mhz": true)")),
                      Contains("key 'clock_mhz': expected a number in (0, 2000], got boolean true"));
  REQUIRE_THROWS_WITH(parse(doc(R"("name": 7)")), Contains("key 'name': expected a non-empty string"));
  REQUIRE_THROWS_WITH(parse(doc(R"("dead_cores": {"x": 1})")),
                      Contains("key 'dead_cores': expected an array of [x, y] core coordinates, got object"));
}

TEST_CASE("bad arch: grid size out of range", "[arch][errors]") {
  REQUIRE_THROWS_WITH(parse(doc(R"("grid": {"width": 0})")),
                      Contains("arch.json: key 'grid.width': expected an integer in 1..256, got 0"));
  REQUIRE_THROWS_WITH(parse(doc(R"("grid": {"width": 100000})")),
                      Contains("key 'grid.width': expected an integer in 1..256, got 100000"));
  REQUIRE_THROWS_WITH(parse(doc(R"("grid": {"height": -3})")),
                      Contains("key 'grid.height': expected an integer in 1..256, got -3"));
  REQUIRE_THROWS_WITH(parse(doc(R"("grid": {"height": 18446744073709551615})")),
                      Contains("key 'grid.height': expected an integer in 1..256, got 18446744073709551615"));
}

TEST_CASE("bad arch: absurd core and router sizes are refused", "[arch][errors]") {
  REQUIRE_THROWS_WITH(parse(doc(R"("core": {"sram_words": 1000000000000})")),
                      Contains("key 'core.sram_words': expected an integer in 16..16777216, got 1000000000000"));
  REQUIRE_THROWS_WITH(parse(doc(R"("core": {"neuron_slots": 0})")),
                      Contains("key 'core.neuron_slots': expected an integer in 1..1048576, got 0"));
  REQUIRE_THROWS_WITH(parse(doc(R"("router": {"buffer_depth": -4})")),
                      Contains("key 'router.buffer_depth': expected an integer in 1..1024, got -4"));
  REQUIRE_THROWS_WITH(parse(doc(R"("router": {"flit_bits": 24})")),
                      Contains("key 'router.flit_bits': expected one of 16, 32, 64, 128, got 24"));
  REQUIRE_THROWS_WITH(parse(doc(R"("router": {"link_latency": 0})")),
                      Contains("key 'router.link_latency': expected an integer in 1..1000, got 0"));
}

TEST_CASE("bad arch: clock and energies", "[arch][errors]") {
  REQUIRE_THROWS_WITH(parse(doc(R"("clock_mhz": 0)")),
                      Contains("key 'clock_mhz': expected a number in (0, 2000], got 0"));
  REQUIRE_THROWS_WITH(parse(doc(R"("clock_mhz": 2000.5)")),
                      Contains("key 'clock_mhz': expected a number in (0, 2000], got 2000.5"));
  REQUIRE(parse(doc(R"("clock_mhz": 2000)")).clock_mhz == 2000);
  REQUIRE_THROWS_WITH(parse(doc(R"("energy_pj": {"flit_hop": -1})")),
                      Contains("key 'energy_pj.flit_hop': expected a finite number >= 0, got -1"));
  REQUIRE(parse(doc(R"("energy_pj": {"reg_access": 0})")).energy.reg_access_pj == 0);
}

TEST_CASE("bad arch: host must be inside the grid, on its edge, on a live router", "[arch][errors]") {
  REQUIRE_THROWS_WITH(parse(doc(R"("host": {"x": 8, "y": 0})")),
                      Contains("arch.json: key 'host': (8, 0) is outside the 8x8 grid (x in 0..7, y in 0..7)"));
  REQUIRE_THROWS_WITH(parse(doc(R"("grid": {"width": 4, "height": 4}, "host": {"x": 0, "y": 4})")),
                      Contains("key 'host': (0, 4) is outside the 4x4 grid"));
  REQUIRE_THROWS_WITH(
      parse(doc(R"("host": {"x": 3, "y": 3})")),
      Contains("key 'host': (3, 3) is not on the edge of the 8x8 grid (need x = 0 or 7, or y = 0 or 7)"));
  REQUIRE_THROWS_WITH(parse(doc(R"("host": {"x": -1})")),
                      Contains("key 'host.x': expected an integer in 0..255, got -1"));
  REQUIRE_THROWS_WITH(parse(doc(R"("host": {"x": 7, "y": 4}, "dead_routers": [[1, 1], [7, 4]])")),
                      Contains("key 'host': the host router (7, 4) is dead (dead_routers[1])"));
  // Every edge is fine.
  REQUIRE(parse(doc(R"("host": {"x": 7, "y": 4})")).host == Coord{7, 4});
  REQUIRE(parse(doc(R"("host": {"x": 3, "y": 7})")).host == Coord{3, 7});
  REQUIRE(parse(doc(R"("grid": {"width": 1, "height": 1})")).cores() == 1);
}

TEST_CASE("bad arch: fault and reservation lists", "[arch][errors]") {
  REQUIRE_THROWS_WITH(parse(doc(R"("dead_cores": [[1, 1], [8, 2]])")),
                      Contains("arch.json: key 'dead_cores[1]': [8, 2] is outside the 8x8 grid"));
  REQUIRE_THROWS_WITH(parse(doc(R"("reserved_cores": [[0, -1]])")),
                      Contains("key 'reserved_cores[0]': [0, -1] is outside the 8x8 grid"));
  REQUIRE_THROWS_WITH(parse(doc(R"("dead_routers": [[1, 2, 3]])")),
                      Contains("key 'dead_routers[0]': expected [x, y] with integers x, y, got array [1,2,3]"));
  REQUIRE_THROWS_WITH(parse(doc(R"("dead_cores": [[1, 1], [2, 2], [3, 3], [2, 2]])")),
                      Contains("key 'dead_cores[3]': (2, 2) is a duplicate of dead_cores[1]"));
  REQUIRE_THROWS_WITH(parse(doc(R"("dead_links": [[[0, 0], [2, 0]]])")),
                      Contains("key 'dead_links[0]': (0, 0) and (2, 0) are not neighbours"));
  REQUIRE_THROWS_WITH(parse(doc(R"("dead_links": [[[0, 0], [1, 1]]])")), Contains("are not neighbours"));
  REQUIRE_THROWS_WITH(parse(doc(R"("dead_links": [[[3, 3], [3, 3]]])")), Contains("are not neighbours"));
  REQUIRE_THROWS_WITH(parse(doc(R"("dead_links": [[[0, 0], [0, 1]], [[0, 1], [0, 0]]])")),
                      Contains("key 'dead_links[1]': link (0, 1)-(0, 0) is a duplicate of dead_links[0]"));
  REQUIRE_THROWS_WITH(parse(doc(R"("dead_links": [[0, 0]])")),
                      Contains("key 'dead_links[0]': expected [x, y] with integers x, y, got 0"));
  REQUIRE_THROWS_WITH(parse(doc(R"("grid": {"width": 1, "height": 2}, "dead_cores": [[0, 0], [0, 1], [0, 0]])")),
                      Contains("key 'dead_cores': 3 entries, but the 1x2 grid has only 2 cores"));
}

TEST_CASE("bad arch: missing file and directory", "[arch][errors]") {
  REQUIRE_THROWS_AS(load_arch("/nonexistent/arch.json"), ArchError);
  REQUIRE_THROWS_WITH(load_arch("/nonexistent/arch.json"),
                      Contains("/nonexistent/arch.json: cannot open architecture file"));
  REQUIRE_THROWS_WITH(load_arch(arch_dir()), Contains("is a directory, not an architecture file"));
}
