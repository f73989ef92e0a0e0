// The mapper: slicing a computation graph into core-sized pieces, placing them on the mesh, routing the
// message flows between them, and the mapping file that records it all (docs/mapping-format.md).
//
// Slicing (locality rule, DESIGN.md §3). Vertices that share parameters form one *group* (a vertex without
// parameters is a group of its own). A group has R rows: dense → units (fan-in weights + bias per row),
// conv2d → output channels (kernel + bias per row, all positions of the channel), other ops → elements.
// A slice is a contiguous row range of a group and holds, on one core, the weights of its rows and the
// neuron slots (value, prediction, error) of those rows' elements for every vertex of the group. So a
// slice's weight update needs only its own errors and the parent values it receives (PRED); its
// back-projection Wᵀε is computed locally and sent to the parents' slices (ERR) as partial sums.
//
// Flows. For every slice and every parent vertex, the parent elements the slice needs (all of them for
// dense/conv2d, the matching range for elementwise ops, shifted ranges for concat/slice) come from the
// parent's slices: one PRED message per relaxation step parent-slice → slice, and one ERR message back of
// the same length. A message of w 16-bit words is 1 header flit + ceil(16·w / flit_bits) payload flits.
#pragma once

#include "pcgrid/arch.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/routing.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pcgrid {

struct Slice {
  int id = 0;
  std::vector<size_t> vertices;      // graph vertices of the group (one unless parameters are shared)
  int64_t row_lo = 0, row_hi = 0;    // rows of the group held here
  int64_t elem_lo = 0, elem_hi = 0;  // the matching element range of each vertex (rows × elements per row)
  int64_t sram_words = 0;            // weights + biases
  int64_t slots = 0;                 // neuron slots (elements of all vertices of the group)
  int64_t macs = 0;                  // multiply-accumulates of one forward evaluation
  bool is_input = false;
  bool is_output = false;
};

enum class FlowKind { Pred, Err };
const char* to_string(FlowKind k);

struct Flow {
  int src = 0, dst = 0;  // slice ids
  FlowKind kind = FlowKind::Pred;
  int64_t words = 0;  // 16-bit words per relaxation step
  int64_t flits = 0;  // flits per relaxation step (header + payload)
};

int64_t message_flits(int64_t words, int flit_bits);

// Elements [lo, hi) of parent `slot` of vertex c that the elements [elo, ehi) of c read: all of them
// (dense, conv2d), the shifted range (slice, concat; empty when a concat slice does not reach the
// parent) or the same range (elementwise ops).
std::pair<int64_t, int64_t> needed_parent_range(const Graph& g, size_t c, size_t slot, int64_t elo, int64_t ehi);

// Splits every group into the fewest slices that fit one core each. Throws MapError naming the vertex, the
// resource (weight SRAM words or neuron slots), how much one row needs and the per-core capacity.
std::vector<Slice> slice_graph(const Graph& g, const Arch& a);
// Flows between slices implied by the graph (PRED and ERR, merged per (src, dst, kind)).
std::vector<Flow> slice_flows(const Graph& g, const std::vector<Slice>& slices, int flit_bits);

// What a placement strategy sees.
struct PlaceProblem {
  const Arch* arch = nullptr;
  std::vector<int64_t> sram, slots, macs;  // per slice
  std::vector<std::pair<int, int>> edges;  // slice pairs (a < b) that exchange messages
  std::vector<int64_t> edge_flits;         // flits per relaxation step, both directions summed
  std::vector<int> cores;                  // usable core ids
  // Hop distance between core ids on the live mesh: Manhattan on a healthy mesh, else BFS distances in
  // `dist` (grid cores × grid cores).
  std::vector<int> dist;
  int hop(int a, int b) const;
  int64_t max_macs_per_core = 0;         // balance bound
  std::vector<int> host_slices;          // slices that talk to the host (inputs, output)
  std::vector<std::string> slice_names;  // "vertex 'h1' rows [0,20)", for error messages
  int host_core = 0;
};

struct PlaceConfig {
  std::string strategy = "anneal";
  uint64_t seed = 1;
  double balance_slack = 0.25;  // a core may carry at most max(largest slice, (1 + slack) · mean) MACs
  double effort = 1.0;          // anneal: scales the number of moves
};

// Placement strategies, registered by name (see placers()).
class Placer {
 public:
  virtual ~Placer() = default;
  virtual std::string name() const = 0;
  virtual std::string help() const = 0;
  // Returns a core id per slice satisfying capacities and the balance bound, or throws MapError.
  virtual std::vector<int> place(const PlaceProblem& p, const PlaceConfig& c) const = 0;
};
const std::map<std::string, std::unique_ptr<Placer>>& placers();
void register_placer(std::unique_ptr<Placer> p);

// Σ over edges of flits × hop distance (= flit-hops per relaxation step with shortest-path routing).
int64_t placement_cost(const PlaceProblem& p, const std::vector<int>& core_of);

struct MapStats {
  int cores_used = 0, cores_usable = 0;
  double sram_min = 0, sram_mean = 0, sram_max = 0;  // utilisation of used cores, 0..1
  double slots_min = 0, slots_mean = 0, slots_max = 0;
  double macs_min = 0, macs_mean = 0, macs_max = 0;  // MACs per core per forward evaluation
  int64_t messages = 0, flits = 0, flit_hops = 0;    // per relaxation step (PRED + ERR), NoC only
  int longest_route = 0;
  int64_t peak_link_flits = 0;  // busiest directed link, flits per relaxation step
  double map_seconds = 0;
};

struct Mapping {
  std::string model_file;
  std::string model_json;  // the model file's JSON, embedded so a mapping is self-contained
  Graph graph;
  Arch arch;
  std::vector<Slice> slices;
  std::vector<Flow> flows;
  std::vector<int> core_of;  // per slice
  Routing routing;
  PlaceConfig config;
  MapStats stats;
  // per directed link (router id * 4 + port-1): flits per relaxation step
  std::vector<int64_t> link_flits;
};

// The whole flow: slice, build the placement problem, place, route, compute statistics.
Mapping map_model(const std::string& model_file, const Arch& a, const PlaceConfig& c);
Mapping map_graph(const Graph& g, const std::string& model_json, const Arch& a, const PlaceConfig& c);
PlaceProblem make_problem(const Graph& g, const std::vector<Slice>& s, const std::vector<Flow>& f, const Arch& a,
                          double balance_slack);

// Mapping file (versioned JSON, docs/mapping-format.md).
std::string mapping_to_json(const Mapping& m);
Mapping load_mapping(const std::string& path);
// SVG picture of the grid: per-core load, link traffic, dead and reserved cores, the host tile.
std::string mapping_svg(const Mapping& m);
// The same picture with other per-core shading (0..1, `load_what`) and per-directed-link values
// (router id * 4 + port − 1, `link_what`), e.g. the activity of a simulation run.
std::string grid_svg(const Mapping& m, const std::vector<double>& load, const std::string& load_what,
                     const std::vector<int64_t>& link_values, const std::string& link_what, const std::string& title);
// Human summary (the table printed by `pcgrid map`).
std::string mapping_summary(const Mapping& m);

}  // namespace pcgrid
