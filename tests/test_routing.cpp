// Tests for the mesh routing (mapper/src/routing.cpp): XY, up*/down* tables around faults, and the
// channel-dependency (deadlock) check. Liveness is computed locally from the Arch fields so these tests do
// not depend on arch.cpp.
#include <catch2/catch.hpp>

#include "pcgrid/arch.hpp"
#include "pcgrid/routing.hpp"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

using pcgrid::Arch;
using pcgrid::Coord;
using pcgrid::MapError;
using pcgrid::Routing;

namespace {

Arch mesh(int w, int h, std::vector<Coord> dead_routers = {}, std::vector<std::pair<Coord, Coord>> dead_links = {}) {
  Arch a;
  a.name = "test";
  a.width = w;
  a.height = h;
  a.host = {0, 0};
  a.dead_routers = std::move(dead_routers);
  a.dead_links = std::move(dead_links);
  return a;
}

bool inside(const Arch& a, Coord c) { return c.x >= 0 && c.y >= 0 && c.x < a.width && c.y < a.height; }

bool alive(const Arch& a, Coord c) {
  return inside(a, c) && std::find(a.dead_routers.begin(), a.dead_routers.end(), c) == a.dead_routers.end();
}

bool link_ok(const Arch& a, Coord p, Coord q) {
  if (!alive(a, p) || !alive(a, q) || std::abs(p.x - q.x) + std::abs(p.y - q.y) != 1) return false;
  for (const auto& [u, v] : a.dead_links)
    if ((u == p && v == q) || (u == q && v == p)) return false;
  return true;
}

int manhattan(Coord p, Coord q) { return std::abs(p.x - q.x) + std::abs(p.y - q.y); }

std::vector<Coord> all_routers(const Arch& a) {
  std::vector<Coord> out;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x) out.push_back({x, y});
  return out;
}

// Component label per router id (-1 for dead routers).
std::vector<int> components(const Arch& a) {
  std::vector<int> lab(size_t(a.width * a.height), -1);
  int next = 0;
  for (Coord s : all_routers(a)) {
    if (!alive(a, s) || lab[size_t(a.id(s))] >= 0) continue;
    std::deque<Coord> q{s};
    lab[size_t(a.id(s))] = next;
    while (!q.empty()) {
      Coord c = q.front();
      q.pop_front();
      const Coord nbs[4] = {{c.x + 1, c.y}, {c.x - 1, c.y}, {c.x, c.y - 1}, {c.x, c.y + 1}};
      for (Coord nb : nbs)
        if (link_ok(a, c, nb) && lab[size_t(a.id(nb))] < 0) {
          lab[size_t(a.id(nb))] = next;
          q.push_back(nb);
        }
    }
    ++next;
  }
  return lab;
}

// The XY path computed independently: x hops first, then y hops.
std::vector<Coord> xy_path(Coord s, Coord d) {
  std::vector<Coord> p{s};
  Coord c = s;
  while (c.x != d.x) {
    c.x += d.x > c.x ? 1 : -1;
    p.push_back(c);
  }
  while (c.y != d.y) {
    c.y += d.y > c.y ? 1 : -1;
    p.push_back(c);
  }
  return p;
}

bool xy_intact(const Arch& a, const std::vector<Coord>& eps) {
  for (Coord s : eps)
    for (Coord d : eps) {
      auto p = xy_path(s, d);
      for (size_t i = 0; i + 1 < p.size(); ++i)
        if (!link_ok(a, p[i], p[i + 1])) return false;
    }
  return true;
}

bool path_is_live(const Arch& a, const std::vector<Coord>& p) {
  for (size_t i = 0; i + 1 < p.size(); ++i)
    if (!link_ok(a, p[i], p[i + 1])) return false;
  return !p.empty() && alive(a, p.front());
}

// Table routing in which every router forwards clockwise around the 2×2 ring for every destination.
Routing clockwise_ring_2x2() {
  Routing r;
  r.kind = Routing::Kind::Table;
  r.width = 2;
  r.height = 2;
  r.next.assign(16, int8_t(pcgrid::kNoRoute));
  auto cw = [](Coord c) -> int8_t {
    if (c == Coord{0, 0}) return pcgrid::kEast;
    if (c == Coord{1, 0}) return pcgrid::kSouth;
    if (c == Coord{1, 1}) return pcgrid::kWest;
    return pcgrid::kNorth;  // (0,1)
  };
  for (int at = 0; at < 4; ++at)
    for (int d = 0; d < 4; ++d) r.next[size_t(at * 4 + d)] = at == d ? int8_t(pcgrid::kLocal) : cw({at % 2, at / 2});
  return r;
}

}  // namespace

TEST_CASE("port names and steps", "[routing]") {
  CHECK(std::string(pcgrid::port_name(pcgrid::kLocal)) == "local");
  CHECK(std::string(pcgrid::port_name(pcgrid::kEast)) == "east");
  CHECK(std::string(pcgrid::port_name(pcgrid::kWest)) == "west");
  CHECK(std::string(pcgrid::port_name(pcgrid::kNorth)) == "north");
  CHECK(std::string(pcgrid::port_name(pcgrid::kSouth)) == "south");
  CHECK(pcgrid::step({2, 3}, pcgrid::kEast) == Coord{3, 3});
  CHECK(pcgrid::step({2, 3}, pcgrid::kWest) == Coord{1, 3});
  CHECK(pcgrid::step({2, 3}, pcgrid::kNorth) == Coord{2, 2});
  CHECK(pcgrid::step({2, 3}, pcgrid::kSouth) == Coord{2, 4});
  CHECK(pcgrid::step({2, 3}, pcgrid::kLocal) == Coord{2, 3});
}

TEST_CASE("XY routing on healthy meshes: Manhattan length, x first", "[routing]") {
  for (auto [w, h] : {std::pair{1, 1}, {2, 2}, {3, 5}, {8, 8}, {12, 7}}) {
    Arch a = mesh(w, h);
    auto eps = all_routers(a);
    Routing r = pcgrid::build_routing(a, eps);
    REQUIRE(r.kind == Routing::Kind::XY);
    CHECK(r.next.empty());
    for (Coord s : eps)
      for (Coord d : eps) {
        auto p = r.path(s, d);
        REQUIRE(p == xy_path(s, d));
        REQUIRE(r.hops(s, d) == manhattan(s, d));
        REQUIRE(r.port(d, d) == pcgrid::kLocal);
      }
    CHECK(pcgrid::check_routing(a, r, eps) == "");
  }
  Routing r = pcgrid::build_routing(mesh(4, 4), {{0, 0}, {3, 2}});
  CHECK(r.port({0, 0}, {3, 2}) == pcgrid::kEast);
  CHECK(r.port({3, 0}, {3, 2}) == pcgrid::kSouth);
  CHECK(r.port({3, 3}, {0, 0}) == pcgrid::kWest);
  CHECK(r.port({0, 3}, {0, 0}) == pcgrid::kNorth);
}

TEST_CASE("faults off the XY paths keep XY", "[routing]") {
  Arch a = mesh(5, 5, {{4, 4}}, {{{1, 3}, {2, 3}}});
  std::vector<Coord> eps{{0, 0}, {3, 0}, {3, 2}};
  Routing r = pcgrid::build_routing(a, eps);
  CHECK(r.kind == Routing::Kind::XY);
  CHECK(pcgrid::check_routing(a, r, eps) == "");
}

TEST_CASE("a dead link on an XY path switches to tables", "[routing]") {
  Arch a = mesh(4, 4, {}, {{{1, 0}, {2, 0}}});
  std::vector<Coord> eps{{0, 0}, {3, 0}};
  Routing r = pcgrid::build_routing(a, eps);
  REQUIRE(r.kind == Routing::Kind::Table);
  CHECK(r.next.size() == 16u * 16u);
  for (Coord s : eps)
    for (Coord d : eps) {
      auto p = r.path(s, d);
      CHECK(path_is_live(a, p));
      if (s != d) CHECK(int(p.size()) - 1 >= manhattan(s, d) + 2);  // must detour around the dead link
    }
  CHECK(pcgrid::check_routing(a, r, eps) == "");
  // XY routing on this architecture is rejected by the checker.
  Routing xy;
  xy.width = 4;
  xy.height = 4;
  std::string why = pcgrid::check_routing(a, xy, eps);
  CHECK_THAT(why, Catch::Contains("dead link") && Catch::Contains("(1,0)-(2,0)"));
}

TEST_CASE("a dead router on an XY path switches to tables", "[routing]") {
  Arch a = mesh(5, 5, {{2, 2}});
  std::vector<Coord> eps{{0, 2}, {4, 2}, {2, 0}, {2, 4}};
  Routing r = pcgrid::build_routing(a, eps);
  REQUIRE(r.kind == Routing::Kind::Table);
  for (Coord s : eps)
    for (Coord d : eps) {
      auto p = r.path(s, d);
      CHECK(path_is_live(a, p));
      CHECK(std::find(p.begin(), p.end(), Coord{2, 2}) == p.end());
      CHECK(int(p.size()) - 1 >= manhattan(s, d));
    }
  CHECK(pcgrid::check_routing(a, r, eps) == "");
  Routing xy;
  xy.width = 5;
  xy.height = 5;
  CHECK_THAT(pcgrid::check_routing(a, xy, eps), Catch::Contains("dead router (2,2)"));
}

TEST_CASE("tables route around a wall through its only gap", "[routing]") {
  // Column x = 3 is dead except (3,5).
  Arch a = mesh(6, 6, {{3, 0}, {3, 1}, {3, 2}, {3, 3}, {3, 4}});
  std::vector<Coord> eps{{0, 0}, {5, 0}, {1, 2}, {4, 1}};
  Routing r = pcgrid::build_routing(a, eps);
  REQUIRE(r.kind == Routing::Kind::Table);
  for (Coord s : eps)
    for (Coord d : eps) {
      auto p = r.path(s, d);
      CHECK(path_is_live(a, p));
      CHECK(p.back() == d);
      if ((s.x < 3) != (d.x < 3)) {
        CHECK(std::find(p.begin(), p.end(), Coord{3, 5}) != p.end());
      }
    }
  CHECK(r.hops({0, 0}, {5, 0}) >= 5 + 2 * 5);
  CHECK(pcgrid::check_routing(a, r, eps) == "");
  // Unrelated routers outside the endpoint set are still routable in the same component.
  CHECK(path_is_live(a, r.path({0, 5}, {5, 5})));
}

TEST_CASE("a grid cut in half by dead routers throws naming the pair", "[routing]") {
  Arch a = mesh(6, 4, {{3, 0}, {3, 1}, {3, 2}, {3, 3}});
  try {
    pcgrid::build_routing(a, {{0, 0}, {1, 1}, {5, 3}});
    FAIL("expected MapError");
  } catch (const MapError& e) {
    std::string m = e.what();
    CHECK_THAT(m, Catch::Contains("(0,0)") && Catch::Contains("(5,3)") && Catch::Contains("disconnected") &&
                      Catch::Contains("dead routers: (3,0)"));
  }
  // Dead links alone can disconnect too.
  Arch b = mesh(2, 2, {}, {{{0, 0}, {1, 0}}, {{0, 0}, {0, 1}}});
  CHECK_THROWS_WITH(pcgrid::build_routing(b, {{0, 0}, {1, 1}}),
                    Catch::Contains("disconnected") && Catch::Contains("dead links: (0,0)-(1,0)"));
  // Each half on its own is fine.
  Routing r = pcgrid::build_routing(a, {{0, 0}, {2, 3}});
  CHECK(pcgrid::check_routing(a, r, {{0, 0}, {2, 3}}) == "");
}

TEST_CASE("dead or outside endpoints are rejected", "[routing]") {
  Arch a = mesh(3, 3, {{1, 1}});
  CHECK_THROWS_AS(pcgrid::build_routing(a, {{0, 0}, {1, 1}}), MapError);
  CHECK_THROWS_WITH(pcgrid::build_routing(a, {{0, 0}, {3, 0}}), Catch::Contains("outside"));
}

TEST_CASE("path throws on missing table entries and on loops", "[routing]") {
  Routing r;
  r.kind = Routing::Kind::Table;
  r.width = 2;
  r.height = 1;
  r.next.assign(4, int8_t(pcgrid::kNoRoute));
  CHECK_THROWS_WITH(r.path({0, 0}, {1, 0}), Catch::StartsWith("no route from (0,0) to (1,0)"));
  r.next[size_t(0 * 2 + 1)] = pcgrid::kEast;  // now (0,0) -> (1,0) arrives
  CHECK(r.hops({0, 0}, {1, 0}) == 1);
  // A two-router loop towards a third router never arrives: caught by the hop limit.
  Routing l;
  l.kind = Routing::Kind::Table;
  l.width = 3;
  l.height = 1;
  l.next.assign(9, int8_t(pcgrid::kNoRoute));
  l.next[size_t(0 * 3 + 2)] = pcgrid::kEast;
  l.next[size_t(1 * 3 + 2)] = pcgrid::kWest;
  CHECK_THROWS_WITH(l.path({0, 0}, {2, 0}),
                    Catch::StartsWith("no route from (0,0) to (2,0)") && Catch::Contains("loop"));
  CHECK_THAT(pcgrid::check_routing(mesh(3, 1), l, {{0, 0}, {2, 0}}), Catch::Contains("no route"));
}

TEST_CASE("negative control: a clockwise ring has a cyclic channel dependency", "[routing]") {
  Arch a = mesh(2, 2);
  Routing r = clockwise_ring_2x2();
  auto eps = all_routers(a);
  for (Coord s : eps)
    for (Coord d : eps) CHECK(path_is_live(a, r.path(s, d)));
  std::string why = pcgrid::check_routing(a, r, eps);
  CHECK_THAT(why, Catch::Contains("cycle") && Catch::Contains("(0,0)->(1,0)") && Catch::Contains("(1,0)->(1,1)") &&
                      Catch::Contains("(1,1)->(0,1)") && Catch::Contains("(0,1)->(0,0)"));
  // Built routing on the same mesh (XY) is fine.
  CHECK(pcgrid::check_routing(a, pcgrid::build_routing(a, eps), eps) == "");
  // Only two endpoints on adjacent corners: no route needs two consecutive channels of a full turn.
  CHECK(pcgrid::check_routing(a, r, {{0, 0}, {1, 0}}) == "");
}

TEST_CASE("random fault patterns: up*/down* tables are live, deadlock-free and no shorter than Manhattan",
          "[routing]") {
  std::mt19937 rng(20240611);
  const double probs[] = {0.0, 0.03, 0.08, 0.15, 0.25};
  int connected = 0, disconnected = 0, table_patterns = 0, xy_patterns = 0;
  double worst_stretch = 1.0;
  for (int iter = 0; iter < 5000 && (connected < 400 || disconnected < 50); ++iter) {
    std::uniform_int_distribution<int> dim(2, 12);
    Arch a = mesh(dim(rng), dim(rng));
    const double pr = probs[rng() % 5], pl = probs[rng() % 5];
    std::uniform_real_distribution<double> u01(0, 1);
    for (Coord c : all_routers(a))
      if (u01(rng) < pr) a.dead_routers.push_back(c);
    for (Coord c : all_routers(a)) {
      if (c.x + 1 < a.width && u01(rng) < pl) a.dead_links.push_back({c, {c.x + 1, c.y}});
      if (c.y + 1 < a.height && u01(rng) < pl) a.dead_links.push_back({{c.x, c.y + 1}, c});
    }
    std::vector<Coord> live;
    for (Coord c : all_routers(a))
      if (alive(a, c)) live.push_back(c);
    if (live.size() < 2) continue;
    // Host: a live edge router if there is one, else any live router.
    std::vector<Coord> edge;
    for (Coord c : live)
      if (c.x == 0 || c.y == 0 || c.x == a.width - 1 || c.y == a.height - 1) edge.push_back(c);
    a.host = edge.empty() ? live[rng() % live.size()] : edge[rng() % edge.size()];
    const auto lab = components(a);
    const int host_comp = lab[size_t(a.id(a.host))];

    std::vector<Coord> eps{a.host};
    if (rng() % 2 == 0) {  // every live router in the host's component
      for (Coord c : live)
        if (c != a.host && lab[size_t(a.id(c))] == host_comp) eps.push_back(c);
    } else {  // a random subset of all live routers, possibly across components
      const double q = 0.1 + 0.5 * u01(rng);
      for (Coord c : live)
        if (c != a.host && u01(rng) < q) eps.push_back(c);
    }
    const bool split = std::any_of(eps.begin(), eps.end(), [&](Coord c) { return lab[size_t(a.id(c))] != host_comp; });
    INFO("grid " << a.width << "x" << a.height << ", " << a.dead_routers.size() << " dead routers, "
                 << a.dead_links.size() << " dead links, " << eps.size() << " endpoints");
    if (split) {
      if (xy_intact(a, eps)) continue;  // impossible when split, but keep the control flow obvious
      ++disconnected;
      CHECK_THROWS_WITH(pcgrid::build_routing(a, eps), Catch::Contains("disconnected"));
      continue;
    }
    ++connected;
    Routing r = pcgrid::build_routing(a, eps);
    const bool intact = xy_intact(a, eps);
    REQUIRE((r.kind == Routing::Kind::XY) == intact);
    (intact ? xy_patterns : table_patterns)++;
    REQUIRE(pcgrid::check_routing(a, r, eps) == "");
    bool lengths_ok = true, live_ok = true;
    for (Coord s : eps)
      for (Coord d : eps) {
        auto p = r.path(s, d);
        const int hops = int(p.size()) - 1, man = manhattan(s, d);
        if (hops < man || (intact && hops != man)) lengths_ok = false;
        if (!path_is_live(a, p) || p.back() != d) live_ok = false;
        if (man > 0) worst_stretch = std::max(worst_stretch, double(hops) / man);
      }
    REQUIRE(lengths_ok);
    REQUIRE(live_ok);
  }
  CHECK(connected >= 400);
  CHECK(disconnected >= 50);
  CHECK(table_patterns >= 250);
  CHECK(xy_patterns >= 20);
  CHECK(worst_stretch >= 1.0);  // value visible with -s
}

TEST_CASE("table routing is refused above kMaxTableRouters before allocating", "[routing]") {
  // 256 x 256 with one dead router on the XY path: tables would need 65536^2 bytes. Refused with a message.
  Arch big = mesh(256, 256, {{1, 0}});
  try {
    pcgrid::build_routing(big, {{0, 0}, {2, 0}});
    FAIL("expected MapError");
  } catch (const MapError& e) {
    CHECK(std::string(e.what()) ==
          "a 256x256 mesh with dead routers or links needs table routing, which pcgrid supports up to 4096 "
          "routers (64x64); use a smaller grid or one without faults");
  }
  // The largest allowed size still routes around the fault.
  Arch ok = mesh(64, 64, {{1, 0}});
  const Routing r = pcgrid::build_routing(ok, {{0, 0}, {2, 0}});
  CHECK(r.kind == Routing::Kind::Table);
  CHECK(r.hops({0, 0}, {2, 0}) == 4);
  // Intact meshes of any allowed size need no table.
  CHECK(pcgrid::build_routing(mesh(256, 256), {{0, 0}, {255, 255}}).kind == Routing::Kind::XY);
}
