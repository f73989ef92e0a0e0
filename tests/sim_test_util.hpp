// Helpers for the simulator tests: mappings of small models built in memory, small architectures and
// synthetic data (class-dependent pixel patterns, learnable by a small MLP).
#pragma once

#include "pcgrid/arch.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/mapping.hpp"
#include "pcgrid/reference.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pcgrid {

inline Arch small_arch(int w, int h, int64_t sram_words, int64_t slots) {
  Arch a = default_arch();
  a.name = "test";
  a.width = w;
  a.height = h;
  a.sram_words = sram_words;
  a.neuron_slots = slots;
  return a;
}

inline Mapping test_mapping(const std::string& model_json, const Arch& a, const std::string& strategy = "greedy") {
  const Graph g = parse_model(model_json, "test-model");
  PlaceConfig c;
  c.strategy = strategy;
  return map_graph(g, model_json, a, c);
}

struct Samples {
  std::vector<uint8_t> pixels;
  std::vector<int> labels;
};

// n samples of `pixels` bytes: class c brightens pixels ≡ c (mod classes), plus noise.
inline Samples synthetic_samples(int pixels, int classes, int n, uint64_t seed) {
  Rng r(seed);
  Samples s;
  for (int k = 0; k < n; ++k) {
    const int c = int(r.below(uint64_t(classes)));
    s.labels.push_back(c);
    for (int p = 0; p < pixels; ++p) {
      int v = int(r.below(90));
      if (p % classes == c) v += 140;
      s.pixels.push_back(uint8_t(v));
    }
  }
  return s;
}

}  // namespace pcgrid
