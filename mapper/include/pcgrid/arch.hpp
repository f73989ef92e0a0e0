// Architecture description of a pcgrid chip: a width × height mesh of local-only neuron cores, one router
// per core, and a host-interface tile attached to one edge router. Read from an architecture file (JSON,
// docs/arch-format.md); every key is declared once in arch.cpp with its default, unit and source, and
// unknown keys are rejected naming the file and the key.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pcgrid {

class ArchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Coord {
  int x = 0, y = 0;
  bool operator==(const Coord& o) const { return x == o.x && y == o.y; }
  bool operator!=(const Coord& o) const { return !(*this == o); }
  bool operator<(const Coord& o) const { return y != o.y ? y < o.y : x < o.x; }
};

// Energy per event in picojoules (defaults and their sources in arch.cpp / docs/arch-format.md).
struct EnergyTable {
  double mac_pj = 0;         // one 16-bit multiply-accumulate
  double sram_read_pj = 0;   // one 16-bit word read from the core's weight SRAM
  double sram_write_pj = 0;  // one 16-bit word written
  double reg_access_pj = 0;  // one neuron-slot (register file) access
  double flit_hop_pj = 0;    // one flit crossing one router + link
};

struct Arch {
  std::string name;
  int width = 0, height = 0;  // cores along x and y
  int64_t sram_words = 0;     // weight SRAM per core, 16-bit words
  int64_t neuron_slots = 0;   // value/error slots per core
  int mac_lanes = 0;          // parallel MAC units per core
  int buffer_depth = 0;       // router input-buffer depth, flits per port
  int flit_bits = 0;          // flit payload width
  int link_latency = 0;       // cycles per router-to-router link
  double clock_mhz = 0;
  Coord host;  // router the host-interface tile attaches to (on the grid edge)
  EnergyTable energy;
  std::vector<Coord> dead_cores;                    // compute dead, router alive
  std::vector<Coord> dead_routers;                  // router (and its core) dead
  std::vector<std::pair<Coord, Coord>> dead_links;  // bidirectional link between neighbours
  std::vector<Coord> reserved_cores;                // not to be used by the mapper (e.g. spares)

  int cores() const { return width * height; }
  int id(Coord c) const { return c.y * width + c.x; }
  Coord at(int id) const { return {id % width, id / width}; }
  bool inside(Coord c) const { return c.x >= 0 && c.y >= 0 && c.x < width && c.y < height; }
  // A core the mapper may place work on: inside, not dead, router not dead, not reserved.
  bool usable(Coord c) const;
  bool router_alive(Coord c) const;
  bool link_alive(Coord a, Coord b) const;  // a, b neighbours, both routers alive, link not dead
};

// The built-in default architecture (what arch/default.json holds).
Arch default_arch();
// Reads an architecture file; keys missing from the file take the defaults. Throws ArchError
// "FILE: key 'k': what was expected".
Arch load_arch(const std::string& path);
Arch parse_arch(const std::string& text, const std::string& origin);
// Canonical JSON text of an architecture (all keys), as written into mapping files.
std::string arch_to_json(const Arch& a);
// Help text: every key, its default, unit and meaning.
std::string arch_keys_help();

}  // namespace pcgrid
