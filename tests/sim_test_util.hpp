// Helpers for the simulator tests: mappings of small models built in memory, small architectures and
// synthetic data (class-dependent pixel patterns, learnable by a small MLP).
#pragma once

#include "pcgrid/arch.hpp"
#include "pcgrid/engine.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/mapping.hpp"
#include "pcgrid/reference.hpp"

#include <fmt/format.h>

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

#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace pcgrid {

// Every SRAM word of every slice (weights, then biases), in slice order.
inline std::vector<int16_t> all_sram_words(const FxEngine& e) {
  std::vector<int16_t> w;
  for (const auto& k : e.kernels()) {
    w.insert(w.end(), k.weights().begin(), k.weights().end());
    w.insert(w.end(), k.biases().begin(), k.biases().end());
  }
  return w;
}

// Runs `work` in a forked child (a fresh SystemC context: one cycle-level grid per process) and returns
// what it returned, or "ER" + the message of an exception it threw, or "ER<crashed or timed out>".
// `seconds` > 0: the child is killed after that long (a hang is a failure, not a stuck test run).
inline std::string in_child(const std::function<std::string()>& work, unsigned seconds = 120) {
  int fd[2];
  if (pipe(fd) != 0) return "ERpipe failed";
  const pid_t pid = fork();
  if (pid < 0) return "ERfork failed";
  if (pid == 0) {
    close(fd[0]);
    if (seconds) alarm(seconds);
    std::string b;
    try {
      b = work();
    } catch (const std::exception& x) {
      b = std::string("ER") + x.what();
    }
    size_t done = 0;
    while (done < b.size()) {
      const ssize_t n = write(fd[1], b.data() + done, b.size() - done);
      if (n <= 0) _exit(3);
      done += size_t(n);
    }
    _exit(0);
  }
  close(fd[1]);
  std::string b;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd[0], buf, sizeof buf)) > 0) b.append(buf, size_t(n));
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "ER<crashed or timed out>";
  return b;
}

}  // namespace pcgrid
