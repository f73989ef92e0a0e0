// Mesh routing: XY when the needed routes are intact, else up*/down* tables (see routing.hpp).
//
// Liveness is computed here from the Arch fields (dead_routers, dead_links) rather than through
// Arch::router_alive / Arch::link_alive, so this file does not depend on arch.cpp. A dead *core* does not
// kill its router; reserved cores do not matter for routing.
#include "pcgrid/routing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace pcgrid {

namespace {

constexpr int kDirs[4] = {kEast, kWest, kNorth, kSouth};  // ascending port number
constexpr int kInf = std::numeric_limits<int>::max();

std::string coord_str(Coord c) { return fmt::format("({},{})", c.x, c.y); }

// Live routers and directed link channels of the mesh, indexed by router id (y * width + x).
struct Live {
  int w = 0, h = 0;
  std::vector<char> router;  // router alive
  std::vector<char> link;    // link[id * 4 + (port - 1)]: channel out of router id through port usable

  int n() const { return w * h; }
  bool inside(Coord c) const { return c.x >= 0 && c.y >= 0 && c.x < w && c.y < h; }
  int id(Coord c) const { return c.y * w + c.x; }
  Coord at(int i) const { return {i % w, i / w}; }
  bool alive(Coord c) const { return inside(c) && router[id(c)]; }
  // Channel from c through port p: both routers alive and the link not dead.
  bool channel_ok(Coord c, int p) const { return p >= kEast && p <= kSouth && inside(c) && link[id(c) * 4 + (p - 1)]; }
};

int port_towards(Coord a, Coord b) {  // a, b neighbours
  if (b.x == a.x + 1 && b.y == a.y) return kEast;
  if (b.x == a.x - 1 && b.y == a.y) return kWest;
  if (b.y == a.y - 1 && b.x == a.x) return kNorth;
  if (b.y == a.y + 1 && b.x == a.x) return kSouth;
  return kNoRoute;
}

int opposite(int p) {
  switch (p) {
    case kEast: return kWest;
    case kWest: return kEast;
    case kNorth: return kSouth;
    case kSouth: return kNorth;
    default: return kNoRoute;
  }
}

Live make_live(const Arch& a) {
  Live L;
  L.w = std::max(a.width, 0);
  L.h = std::max(a.height, 0);
  L.router.assign(size_t(L.n()), 1);
  for (const Coord& c : a.dead_routers)
    if (L.inside(c)) L.router[size_t(L.id(c))] = 0;
  L.link.assign(size_t(L.n()) * 4, 0);
  for (int i = 0; i < L.n(); ++i) {
    if (!L.router[size_t(i)]) continue;
    Coord c = L.at(i);
    for (int p : kDirs) {
      Coord nb = step(c, p);
      if (L.alive(nb)) L.link[size_t(i) * 4 + size_t(p - 1)] = 1;
    }
  }
  for (const auto& [p, q] : a.dead_links) {
    if (!L.inside(p) || !L.inside(q)) continue;
    int port = port_towards(p, q);
    if (port == kNoRoute) continue;  // not neighbours: arch validation reports that, nothing to kill here
    L.link[size_t(L.id(p)) * 4 + size_t(port - 1)] = 0;
    L.link[size_t(L.id(q)) * 4 + size_t(opposite(port) - 1)] = 0;
  }
  return L;
}

int xy_port(Coord at, Coord dest) {
  if (at.x < dest.x) return kEast;
  if (at.x > dest.x) return kWest;
  if (at.y < dest.y) return kSouth;
  if (at.y > dest.y) return kNorth;
  return kLocal;
}

std::string fault_summary(const Arch& a) {
  constexpr size_t kMaxListed = 16;
  std::string s = "dead routers: ";
  if (a.dead_routers.empty()) s += "none";
  for (size_t i = 0; i < a.dead_routers.size() && i < kMaxListed; ++i)
    s += (i ? " " : "") + coord_str(a.dead_routers[i]);
  if (a.dead_routers.size() > kMaxListed) s += fmt::format(" ... ({} more)", a.dead_routers.size() - kMaxListed);
  s += ", dead links: ";
  if (a.dead_links.empty()) s += "none";
  for (size_t i = 0; i < a.dead_links.size() && i < kMaxListed; ++i)
    s += (i ? " " : "") + coord_str(a.dead_links[i].first) + "-" + coord_str(a.dead_links[i].second);
  if (a.dead_links.size() > kMaxListed) s += fmt::format(" ... ({} more)", a.dead_links.size() - kMaxListed);
  return s;
}

// Endpoints deduplicated (first occurrence kept), each checked to be a live router inside the mesh.
std::vector<Coord> checked_endpoints(const Live& L, const std::vector<Coord>& endpoints) {
  std::vector<Coord> out;
  std::vector<char> seen(size_t(L.n()), 0);
  for (const Coord& c : endpoints) {
    if (!L.inside(c))
      throw MapError(fmt::format("routing endpoint {} is outside the {}x{} mesh", coord_str(c), L.w, L.h));
    if (!L.router[size_t(L.id(c))])
      throw MapError(fmt::format("routing endpoint {}: its router is dead", coord_str(c)));
    if (seen[size_t(L.id(c))]) continue;
    seen[size_t(L.id(c))] = 1;
    out.push_back(c);
  }
  return out;
}

bool xy_routes_intact(const Live& L, const std::vector<Coord>& eps) {
  for (const Coord& s : eps)
    for (const Coord& d : eps) {
      Coord cur = s;
      while (cur != d) {
        int p = xy_port(cur, d);
        if (!L.channel_ok(cur, p)) return false;
        cur = step(cur, p);
      }
    }
  return true;
}

// BFS over live links from `from`; returns hop distance per router (kInf when unreachable).
std::vector<int> bfs_levels(const Live& L, int from) {
  std::vector<int> dist(size_t(L.n()), kInf);
  std::deque<int> q;
  dist[size_t(from)] = 0;
  q.push_back(from);
  while (!q.empty()) {
    int v = q.front();
    q.pop_front();
    Coord c = L.at(v);
    for (int p : kDirs) {
      if (!L.channel_ok(c, p)) continue;
      int u = L.id(step(c, p));
      if (dist[size_t(u)] != kInf) continue;
      dist[size_t(u)] = dist[size_t(v)] + 1;
      q.push_back(u);
    }
  }
  return dist;
}

// Up*/down* tables for the component containing eps[0] (all endpoints are in it).
//
// Every live router v of the component gets a key (BFS level from the root, id); a hop u→v is "up" when
// key(v) < key(u), else "down". Keys are a total order, so up hops (and down hops) alone can never cycle.
//
// For each destination d:
//   down[r]  = length of a shortest down-only path r→d (kInf if none); BFS from d over reversed down hops.
//   legal[r] = min(down[r], 1 + min over up neighbours w of legal[w]); computed in ascending key order.
//   next(r)  = kLocal if r == d;
//              else if down[r] < kInf: the down hop r→v with down[v] == down[r] − 1 (lowest port);
//              else the up hop r→w with the smallest legal[w] (lowest port).
// legal[] is finite on the whole component: the BFS tree edges from the root are down hops, so the root
// has a down-only path to every router, and every router reaches the root by up hops (its tree parent has
// a smaller level).
//
// Consistency (a packet in its down phase always finds a down entry): a down hop r→v is only ever taken
// from a router whose entry was chosen in the "down[r] < kInf" branch (the other branch only offers up
// hops), and that branch picks v with down[v] = down[r] − 1 < kInf, so v's entry is again a down hop (or
// kLocal when v == d). Hence every route is up* then down*: the up phase strictly decreases the key, the
// down phase strictly decreases down[], so every route is finite and simple, and it reaches d because the
// up phase can only stop at a router with down[] < kInf (a router without a down path always has an up
// neighbour with finite legal[] — otherwise legal[r] itself would be infinite — and the root has a down
// path to everything).
//
// Deadlock freedom: rank channels as all up channels by decreasing key of their source, followed by all
// down channels by increasing key of their source. Consecutive channels of an up*/down* route are
// up→up (the next source has a smaller key), up→down, or down→down (the next source has a larger key),
// never down→up; so every dependency goes to a strictly higher rank and the channel dependency graph is
// acyclic (check_routing verifies this on the actual tables).
std::vector<int8_t> updown_tables(const Live& L, const std::vector<int>& comp_dist_from_ep0) {
  const int n = L.n();
  std::vector<int> comp;
  for (int i = 0; i < n; ++i)
    if (comp_dist_from_ep0[size_t(i)] != kInf) comp.push_back(i);

  // Root: the component's router nearest the grid centre (squared Euclidean distance), ties by lowest id.
  auto centre_d2 = [&](int i) {
    Coord c = L.at(i);
    int64_t dx = 2 * int64_t(c.x) - (L.w - 1), dy = 2 * int64_t(c.y) - (L.h - 1);
    return dx * dx + dy * dy;
  };
  int root = comp.front();
  for (int i : comp)
    if (centre_d2(i) < centre_d2(root)) root = i;  // comp is in ascending id order: ties keep lowest id

  const std::vector<int> level = bfs_levels(L, root);
  auto key_less = [&](int u, int v) {  // key(u) < key(v)
    return level[size_t(u)] != level[size_t(v)] ? level[size_t(u)] < level[size_t(v)] : u < v;
  };
  std::vector<int> order = comp;
  std::sort(order.begin(), order.end(), key_less);

  std::vector<int8_t> next(size_t(n) * size_t(n), int8_t(kNoRoute));
  std::vector<int> down(static_cast<size_t>(n)), legal(static_cast<size_t>(n));
  std::deque<int> q;
  for (int d : comp) {
    std::fill(down.begin(), down.end(), kInf);
    down[size_t(d)] = 0;
    q.assign(1, d);
    while (!q.empty()) {  // r→v is a down hop iff key(r) < key(v): predecessors of v have smaller keys
      int v = q.front();
      q.pop_front();
      Coord c = L.at(v);
      for (int p : kDirs) {
        if (!L.channel_ok(c, p)) continue;
        int r = L.id(step(c, p));
        if (!key_less(r, v) || down[size_t(r)] != kInf) continue;
        down[size_t(r)] = down[size_t(v)] + 1;
        q.push_back(r);
      }
    }
    for (int r : order) {  // up neighbours have smaller keys, so their legal[] is already final
      int best = down[size_t(r)];
      Coord c = L.at(r);
      for (int p : kDirs) {
        if (!L.channel_ok(c, p)) continue;
        int w = L.id(step(c, p));
        if (key_less(w, r) && legal[size_t(w)] != kInf) best = std::min(best, legal[size_t(w)] + 1);
      }
      legal[size_t(r)] = best;
    }
    for (int r : comp) {
      int8_t& e = next[size_t(r) * size_t(n) + size_t(d)];
      if (r == d) {
        e = kLocal;
        continue;
      }
      Coord c = L.at(r);
      if (down[size_t(r)] != kInf) {
        for (int p : kDirs) {
          if (!L.channel_ok(c, p)) continue;
          int v = L.id(step(c, p));
          if (key_less(r, v) && down[size_t(v)] == down[size_t(r)] - 1) {
            e = int8_t(p);
            break;
          }
        }
      } else {
        int best = kInf;
        for (int p : kDirs) {
          if (!L.channel_ok(c, p)) continue;
          int w = L.id(step(c, p));
          if (key_less(w, r) && legal[size_t(w)] < best) {
            best = legal[size_t(w)];
            e = int8_t(p);
          }
        }
      }
    }
  }
  return next;
}

}  // namespace

const char* port_name(int p) {
  switch (p) {
    case kLocal: return "local";
    case kEast: return "east";
    case kWest: return "west";
    case kNorth: return "north";
    case kSouth: return "south";
    case kNoRoute: return "no-route";
    default: return "invalid-port";
  }
}

Coord step(Coord c, int port) {
  switch (port) {
    case kEast: return {c.x + 1, c.y};
    case kWest: return {c.x - 1, c.y};
    case kNorth: return {c.x, c.y - 1};
    case kSouth: return {c.x, c.y + 1};
    default: return c;
  }
}

int Routing::port(Coord at, Coord dest) const {
  if (kind == Kind::XY) return xy_port(at, dest);
  auto inside = [&](Coord c) { return c.x >= 0 && c.y >= 0 && c.x < width && c.y < height; };
  if (!inside(at) || !inside(dest)) return kNoRoute;
  const size_t n = size_t(width) * size_t(height);
  const size_t i = size_t(at.y * width + at.x) * n + size_t(dest.y * width + dest.x);
  return i < next.size() ? int(next[i]) : int(kNoRoute);
}

std::vector<Coord> Routing::path(Coord src, Coord dst) const {
  auto fail = [&](const std::string& why) {
    return MapError(fmt::format("no route from {} to {}: {}", coord_str(src), coord_str(dst), why));
  };
  auto inside = [&](Coord c) { return c.x >= 0 && c.y >= 0 && c.x < width && c.y < height; };
  if (!inside(src) || !inside(dst)) throw fail(fmt::format("outside the {}x{} mesh", width, height));
  std::vector<Coord> out{src};
  const int hop_limit = width * height;
  Coord cur = src;
  while (cur != dst) {
    int p = port(cur, dst);
    if (p == kNoRoute) throw fail(fmt::format("no table entry at {}", coord_str(cur)));
    if (p < kEast || p > kSouth)
      throw fail(fmt::format("router {} sends to port {} before the destination", coord_str(cur), port_name(p)));
    cur = step(cur, p);
    if (!inside(cur)) throw fail(fmt::format("route leaves the mesh at {}", coord_str(cur)));
    out.push_back(cur);
    if (int(out.size()) - 1 > hop_limit) throw fail(fmt::format("routing loop (more than {} hops)", hop_limit));
  }
  return out;
}

void check_table_size(int routers, int width, int height) {
  if (routers > kMaxTableRouters)
    throw MapError(
        fmt::format("a {}x{} mesh with dead routers or links needs table routing, which pcgrid supports "
                    "up to {} routers (64x64); use a smaller grid or one without faults",
                    width, height, kMaxTableRouters));
}

Routing build_routing(const Arch& a, const std::vector<Coord>& endpoints) {
  Routing r;
  r.width = a.width;
  r.height = a.height;
  const Live L = make_live(a);
  const std::vector<Coord> eps = checked_endpoints(L, endpoints);
  if (eps.empty() || xy_routes_intact(L, eps)) return r;

  const std::vector<int> dist = bfs_levels(L, L.id(eps.front()));
  for (const Coord& e : eps)
    if (dist[size_t(L.id(e))] == kInf)
      throw MapError(fmt::format("routers {} and {} cannot reach each other: the live mesh is disconnected ({})",
                                 coord_str(eps.front()), coord_str(e), fault_summary(a)));
  check_table_size(L.n(), a.width, a.height);
  r.kind = Routing::Kind::Table;
  r.next = updown_tables(L, dist);
  return r;
}

std::string check_routing(const Arch& a, const Routing& r, const std::vector<Coord>& endpoints) {
  if (r.width != a.width || r.height != a.height)
    return fmt::format("routing is for a {}x{} mesh, the architecture is {}x{}", r.width, r.height, a.width, a.height);
  const Live L = make_live(a);
  if (r.kind == Routing::Kind::Table && r.next.size() != size_t(L.n()) * size_t(L.n()))
    return fmt::format("routing table has {} entries, expected {}", r.next.size(), size_t(L.n()) * size_t(L.n()));
  std::vector<Coord> eps;
  try {
    eps = checked_endpoints(L, endpoints);
  } catch (const MapError& e) {
    return e.what();
  }

  // Channel c = router_id * 4 + (port − 1). Dependencies collected as (from, to) pairs.
  std::vector<std::pair<int, int>> deps;
  for (const Coord& s : eps)
    for (const Coord& d : eps) {
      std::vector<Coord> p;
      try {
        p = r.path(s, d);
      } catch (const MapError& e) {
        return e.what();
      }
      int prev = -1;
      for (size_t i = 0; i + 1 < p.size(); ++i) {
        int port = port_towards(p[i], p[i + 1]);
        if (!L.alive(p[i]) || !L.alive(p[i + 1]))
          return fmt::format("route {} -> {} passes the dead router {}", coord_str(s), coord_str(d),
                             coord_str(L.alive(p[i]) ? p[i + 1] : p[i]));
        if (!L.channel_ok(p[i], port))
          return fmt::format("route {} -> {} uses the dead link {}-{}", coord_str(s), coord_str(d), coord_str(p[i]),
                             coord_str(p[i + 1]));
        int ch = L.id(p[i]) * 4 + (port - 1);
        if (prev >= 0) deps.emplace_back(prev, ch);
        prev = ch;
      }
    }
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());

  // CSR adjacency, then an iterative DFS looking for a back edge.
  const int nch = L.n() * 4;
  std::vector<int> start(size_t(nch) + 1, 0), adj(deps.size());
  for (const auto& e : deps) ++start[size_t(e.first) + 1];
  for (int i = 0; i < nch; ++i) start[size_t(i) + 1] += start[size_t(i)];
  for (size_t i = 0; i < deps.size(); ++i) adj[i] = deps[i].second;  // deps sorted by source: CSR order

  auto channel_str = [&](int ch) {
    Coord c = L.at(ch / 4);
    return coord_str(c) + "->" + coord_str(step(c, ch % 4 + 1));
  };
  std::vector<char> colour(size_t(nch), 0);  // 0 white, 1 on stack, 2 done
  std::vector<std::pair<int, int>> stack;    // (channel, next adjacency index)
  for (int s = 0; s < nch; ++s) {
    if (colour[size_t(s)] || start[size_t(s)] == start[size_t(s) + 1]) continue;
    stack.emplace_back(s, start[size_t(s)]);
    colour[size_t(s)] = 1;
    while (!stack.empty()) {
      auto& [v, k] = stack.back();
      if (k == start[size_t(v) + 1]) {
        colour[size_t(v)] = 2;
        stack.pop_back();
        continue;
      }
      int u = adj[size_t(k++)];
      if (colour[size_t(u)] == 1) {
        std::string cyc;
        size_t from = 0;
        while (stack[from].first != u) ++from;
        for (size_t i = from; i < stack.size(); ++i) cyc += channel_str(stack[i].first) + " => ";
        cyc += channel_str(u);
        return fmt::format("channel dependency cycle (routing can deadlock): {}", cyc);
      }
      if (colour[size_t(u)] == 0) {
        colour[size_t(u)] = 1;
        stack.emplace_back(u, start[size_t(u)]);
      }
    }
  }
  return "";
}

}  // namespace pcgrid
