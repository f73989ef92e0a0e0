// Slicing a graph into core-sized pieces and deriving the message flows between them.
#include "pcgrid/mapping.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace pcgrid {

const char* to_string(FlowKind k) { return k == FlowKind::Pred ? "pred" : "err"; }

int64_t message_flits(int64_t words, int flit_bits) {
  if (words <= 0) return 0;
  return 1 + (16 * words + flit_bits - 1) / flit_bits;
}

namespace {

// Rows of a group and what one row costs.
struct GroupShape {
  int64_t rows = 0, elems_per_row = 1, weights_per_row = 0;
};

GroupShape group_shape(const Graph& g, size_t owner) {
  const Vertex& v = g.v(owner);
  GroupShape s;
  if (v.op == OpKind::Dense) {
    s.rows = v.units;
    s.weights_per_row = g.size_of(g.parents(owner)[0]) + (v.bias ? 1 : 0);
  } else if (v.op == OpKind::Conv2d) {
    s.rows = v.channels;
    s.elems_per_row = v.shape[1] * v.shape[2];
    s.weights_per_row = g.v(g.parents(owner)[0]).shape[0] * v.kernel * v.kernel + (v.bias ? 1 : 0);
  } else {
    s.rows = g.size_of(owner);
  }
  return s;
}

// Elements of parent `p` (by flat index range) that vertex `c` needs to compute elements [lo, hi).
}  // namespace

std::pair<int64_t, int64_t> needed_parent_range(const Graph& g, size_t c, size_t slot, int64_t lo, int64_t hi) {
  const Vertex& v = g.v(c);
  const size_t p = g.parents(c)[slot];
  switch (v.op) {
    case OpKind::Dense:
    case OpKind::Conv2d: return {0, g.size_of(p)};
    case OpKind::Slice: return {v.offset + lo, v.offset + hi};
    case OpKind::Concat: {
      int64_t off = 0;
      for (size_t k = 0; k < slot; ++k) off += g.size_of(g.parents(c)[k]);
      const int64_t a = std::max(lo, off), b = std::min(hi, off + g.size_of(p));
      return a < b ? std::make_pair(a - off, b - off) : std::make_pair(int64_t(0), int64_t(0));
    }
    default: return {lo, hi};  // elementwise
  }
}

// The largest grid an architecture file allows (kMaxGrid² in arch.cpp). A network whose total demand for
// neuron slots or weight SRAM exceeds this many cores' worth cannot be placed on any grid of these cores; it
// is refused before its slices are made, which also bounds their number (every slice of a group but the
// last fills at least half a core's slots or SRAM, so at most 4 · kMaxCores + groups slices), so a hostile
// model or mapping file cannot make the mapper build hundreds of millions of slices.
constexpr int64_t kMaxCores = int64_t(256) * 256;

std::vector<Slice> slice_graph(const Graph& g, const Arch& a) {
  std::vector<Slice> out;
  int64_t total_sram = 0, total_slots = 0;  // rows ≤ 2^26, per-row demand ≤ 2^24: no overflow
  // Groups in topological order of their first vertex.
  std::map<size_t, std::vector<size_t>> members;
  std::vector<size_t> order;
  for (size_t i : g.topo()) {
    const size_t owner = g.has_params(i) ? g.param_owner(i) : i;
    if (!members.count(owner)) order.push_back(owner);
    members[owner].push_back(i);
  }
  for (size_t owner : order) {
    const auto& vs = members[owner];
    const GroupShape gs = group_shape(g, owner);
    const int64_t nv = int64_t(vs.size());
    const int64_t sram_row = gs.weights_per_row;
    const int64_t slots_row = gs.elems_per_row * nv;
    const int64_t macs_row =
        (gs.weights_per_row - (g.v(owner).bias && g.has_params(owner) ? 1 : 0)) * gs.elems_per_row * nv;
    const std::string who = vs.size() > 1 ? fmt::format("vertex '{}' (and {} vertices sharing its parameters)",
                                                        g.v(owner).name, vs.size() - 1)
                                          : fmt::format("vertex '{}'", g.v(owner).name);
    if (sram_row > a.sram_words)
      throw MapError(fmt::format(
          "{} does not fit: one row needs {} weight SRAM words but a core has {} ({} missing); rows cannot be "
          "split across cores (the weight update must stay local) — use an architecture with sram_words >= {}",
          who, sram_row, a.sram_words, sram_row - a.sram_words, sram_row));
    if (slots_row > a.neuron_slots)
      throw MapError(fmt::format(
          "{} does not fit: one row needs {} neuron slots but a core has {} ({} missing) — use an architecture "
          "with neuron_slots >= {}",
          who, slots_row, a.neuron_slots, slots_row - a.neuron_slots, slots_row));
    total_sram += gs.rows * sram_row;
    total_slots += gs.rows * slots_row;
    if (total_slots > kMaxCores * a.neuron_slots || total_sram > kMaxCores * a.sram_words)
      throw MapError(fmt::format(
          "the network does not fit any grid of these cores: up to and including {} it needs {} neuron slots and {} "
          "weight SRAM words, but even a 256x256 grid holds only {} and {}",
          who, total_slots, total_sram, kMaxCores * a.neuron_slots, kMaxCores * a.sram_words));
    int64_t max_rows = a.neuron_slots / slots_row;
    if (sram_row > 0) max_rows = std::min(max_rows, a.sram_words / sram_row);
    const int64_t n = (gs.rows + max_rows - 1) / max_rows;
    for (int64_t k = 0; k < n; ++k) {
      Slice s;
      s.id = int(out.size());
      s.vertices = vs;
      s.row_lo = gs.rows * k / n;
      s.row_hi = gs.rows * (k + 1) / n;
      s.elem_lo = s.row_lo * gs.elems_per_row;
      s.elem_hi = s.row_hi * gs.elems_per_row;
      const int64_t r = s.row_hi - s.row_lo;
      s.sram_words = r * sram_row;
      s.slots = r * slots_row;
      s.macs = r * macs_row;
      s.is_input = g.v(owner).op == OpKind::Input;
      s.is_output = std::find(vs.begin(), vs.end(), g.output()) != vs.end();
      out.push_back(s);
    }
  }
  return out;
}

std::vector<Flow> slice_flows(const Graph& g, const std::vector<Slice>& slices, int flit_bits) {
  // Slices holding each vertex, by element range.
  std::vector<std::vector<int>> of_vertex(g.size());
  for (const Slice& s : slices)
    for (size_t v : s.vertices) of_vertex[v].push_back(s.id);
  std::map<std::tuple<int, int, int>, std::pair<int64_t, int64_t>> acc;  // (src,dst,kind) → words, flits
  for (const Slice& s : slices) {
    for (size_t c : s.vertices) {
      for (size_t slot = 0; slot < g.parents(c).size(); ++slot) {
        const size_t p = g.parents(c)[slot];
        const auto [lo, hi] = needed_parent_range(g, c, slot, s.elem_lo, s.elem_hi);
        if (lo >= hi) continue;
        for (int ps : of_vertex[p]) {
          const Slice& src = slices[size_t(ps)];
          const int64_t w = std::min(hi, src.elem_hi) - std::max(lo, src.elem_lo);
          if (w <= 0 || ps == s.id) continue;
          // One PRED message (values) src → s and one ERR message (projected errors) s → src per step.
          auto& f1 = acc[{ps, s.id, int(FlowKind::Pred)}];
          f1.first += w;
          f1.second += message_flits(w, flit_bits);
          // Inputs are clamped: nothing to send back to them.
          if (!src.is_input) {
            auto& f2 = acc[{s.id, ps, int(FlowKind::Err)}];
            f2.first += w;
            f2.second += message_flits(w, flit_bits);
          }
        }
      }
    }
  }
  std::vector<Flow> flows;
  for (const auto& [k, v] : acc)
    flows.push_back({std::get<0>(k), std::get<1>(k), FlowKind(std::get<2>(k)), v.first, v.second});
  return flows;
}

}  // namespace pcgrid
