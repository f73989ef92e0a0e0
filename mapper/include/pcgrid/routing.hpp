// Routing on the mesh network-on-chip.
//
// Ports of a router: Local (its core, or the host tile at the host router), East (x+1), West (x−1),
// North (y−1), South (y+1). Routing is destination-based: the output port depends only on the router and
// the destination router.
//
// - XY (dimension order: all x hops, then all y hops) is used when every route the mapping needs is intact;
//   it is deadlock-free on a mesh (no y→x turns).
// - Otherwise per-router tables are computed with up*/down* routing (Schroeder et al., Autonet, 1991): a BFS
//   spanning tree over the live routers fixes an "up" direction on every live link (towards the root, ties
//   by router id); a legal route is zero or more up hops followed by zero or more down hops. Tables choose a
//   shortest down-only path when one exists, else the first hop of a shortest legal path; the channel
//   dependency graph is then acyclic, hence deadlock-free. `check_routing` verifies that claim on the
//   actual tables.
#pragma once

#include "pcgrid/arch.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pcgrid {

class MapError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum Port : int8_t { kLocal = 0, kEast = 1, kWest = 2, kNorth = 3, kSouth = 4, kNoRoute = -1 };
const char* port_name(int p);

// Largest mesh (in routers) on which faults are handled by table routing and fault-aware placement. Both
// keep one row per router (tables: cores² bytes; placement distances: cores² ints), so 4096 routers
// (64 × 64) cost 16 MB + 64 MB. A damaged mesh above this is refused with a MapError before allocating;
// an intact mesh of any size the architecture file allows uses XY routing and needs no table.
constexpr int kMaxTableRouters = 4096;
// Throws MapError if a mesh of `routers` routers needing table routing exceeds kMaxTableRouters.
void check_table_size(int routers, int width, int height);
Coord step(Coord c, int port);  // neighbour through port

struct Routing {
  enum class Kind { XY, Table } kind = Kind::XY;
  // Table routing: next[router_id * cores + dest_id] = output port (kLocal at the destination,
  // kNoRoute when dest is unreachable or a router is dead). Empty for XY.
  std::vector<int8_t> next;
  int width = 0, height = 0;

  int port(Coord at, Coord dest) const;
  // Routers visited from src to dst, both included. Throws MapError if there is no route.
  std::vector<Coord> path(Coord src, Coord dst) const;
  int hops(Coord src, Coord dst) const { return int(path(src, dst).size()) - 1; }
};

// Builds the routing for `a`. `endpoints` are the routers that must reach each other (the cores in use and
// the host router). Uses XY when all XY paths between endpoints use live routers and links, else up*/down*
// tables. Throws MapError naming two endpoints that cannot reach each other when the live mesh is
// disconnected.
Routing build_routing(const Arch& a, const std::vector<Coord>& endpoints);

// Checks the channel dependency graph induced by routing every pair of `endpoints` is acyclic and that every
// route uses live routers and links only. Returns "" when fine, else a description of the problem.
std::string check_routing(const Arch& a, const Routing& r, const std::vector<Coord>& endpoints);

}  // namespace pcgrid
