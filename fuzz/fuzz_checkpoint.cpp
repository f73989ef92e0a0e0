// libFuzzer target for the checkpoint-file reader: pcgrid::load_checkpoint (sim/src/checkpoint.cpp).
//
// Input: the bytes of a checkpoint file (JSON, docs/checkpoint-format.md). load_checkpoint loads into an
// engine, so the target builds one once: the model "ck" (input [16] → dense 12 relu → dense 4 softmax_ce)
// mapped on a 4 × 4 grid with 64 SRAM words and 16 neuron slots per core (so both dense vertices are split
// over several slices), run by the functional engine (no SystemC). load_checkpoint takes a path, so each
// input is written to "checkpoint.json" in a private directory (/dev/shm/pcgrid-fuzz-checkpoint-PID/, else
// $TMPDIR or /tmp; removed at exit, and those left by killed runs are swept at the next start).
//
// A clean rejection is a pcgrid::SimError whose message starts with the path. A finding is anything else:
// another exception type escaping (std::terminate → abort), a crash, a sanitizer report, a hang, or a
// broken invariant checked below (message on stderr, then __builtin_trap):
//  - a refused file changes nothing: every slice's weights and biases are as before;
//  - a loaded file holds exactly the loaded numbers: for every vertex, the "w" and "b" arrays written back by
//    checkpoint_json (which must not throw) are the file's arrays, number for number (compared as JSON text
//    of each array, so a value that was narrowed or wrapped on the way in shows up);
//  - the text checkpoint_json writes loads again (from "again.json", into the engine reset to its old
//    weights) and gives the same weights.
// After a successful load the engine is reset to its old weights, so inputs stay independent.
#include "pcgrid/checkpoint.hpp"
#include "pcgrid/engine.hpp"

#include "fuzz_scratch.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr const char* kModel = R"({"format": "pcgrid-model", "version": 1, "name": "ck", "vertices": [
    {"name": "x", "op": "input", "shape": [16]},
    {"name": "h", "op": "dense", "parents": ["x"], "units": 12, "activation": "relu"},
    {"name": "out", "op": "dense", "parents": ["h"], "units": 4, "loss": "softmax_ce"}]})";

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_checkpoint: invariant broken: %s\n", what.c_str());
  __builtin_trap();
}

void check(bool ok, const char* what) {
  if (!ok) finding(what);
}

pcgrid_fuzz::Scratch& scratch() {
  static pcgrid_fuzz::Scratch s("pcgrid-fuzz-checkpoint-", finding);
  return s;
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  pcgrid_fuzz::write_file(path, data, size, finding);
}

// The engine every input is loaded into, built once. The engine keeps a pointer to the mapping, so this
// object never moves (a function-local static).
struct Setup {
  pcgrid::Mapping mapping;
  std::unique_ptr<pcgrid::FxEngine> engine;
  Setup() {
    const pcgrid::Graph g = pcgrid::parse_model(kModel, "ck.json");
    pcgrid::Arch arch = pcgrid::default_arch();
    arch.width = 4;
    arch.height = 4;
    arch.sram_words = 64;
    arch.neuron_slots = 16;
    mapping = pcgrid::map_graph(g, kModel, arch, pcgrid::PlaceConfig{});
    engine = pcgrid::make_functional_engine(mapping, pcgrid::FxConfig{});
  }
};

pcgrid::FxEngine& engine() {
  static Setup s;
  return *s.engine;
}

// Weights and biases of every slice, in slice order.
struct Params {
  std::vector<std::vector<int16_t>> w, b;
  bool operator==(const Params& o) const { return w == o.w && b == o.b; }
};

Params snapshot(const pcgrid::FxEngine& e) {
  Params p;
  for (const pcgrid::SliceKernel& k : e.kernels()) {
    p.w.push_back(k.weights());
    p.b.push_back(k.biases());
  }
  return p;
}

void restore(pcgrid::FxEngine& e, const Params& p) {
  for (size_t k = 0; k < e.kernels().size(); ++k) {
    e.kernels()[k].weights() = p.w[k];
    e.kernels()[k].biases() = p.b[k];
  }
}

// The loaded file's "w" and "b" arrays must be what checkpoint_json writes back, number for number.
void check_same_numbers(const uint8_t* data, size_t size, const std::string& written) {
  const nlohmann::json in = nlohmann::json::parse(data, data + size);  // load_checkpoint parsed it
  const nlohmann::json out = nlohmann::json::parse(written);
  check(in.contains("vertices") && in["vertices"].is_object(), "accepted a file without a 'vertices' object");
  check(in["vertices"].size() == out["vertices"].size(), "accepted a file with another number of vertices");
  for (auto it = out["vertices"].begin(); it != out["vertices"].end(); ++it) {
    check(in["vertices"].contains(it.key()), "accepted a file without one of the model's vertices");
    const nlohmann::json& vi = in["vertices"][it.key()];
    for (const char* name : {"w", "b"}) {
      const std::string a = vi.at(name).dump(), b = it.value().at(name).dump();
      if (a != b) {
        std::fprintf(stderr, "fuzz_checkpoint: vertex '%s' key '%s': the file holds\n%s\nthe engine holds\n%s\n",
                     it.key().c_str(), name, a.c_str(), b.c_str());
        finding("the loaded weights are not the file's numbers");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pcgrid::FxEngine& e = engine();
  const std::string path = scratch().path("checkpoint.json");
  write_file(path, data, size);
  const Params before = snapshot(e);
  try {
    pcgrid::load_checkpoint(e, path);
  } catch (const pcgrid::SimError& x) {
    const std::string msg = x.what();
    check(msg.rfind(path + ": ", 0) == 0, "SimError message does not start with the path");
    check(snapshot(e) == before, "a refused checkpoint changed the weights");
    return 0;  // clean rejection
  }
  const Params loaded = snapshot(e);
  const std::string text = pcgrid::checkpoint_json(e);  // must not throw
  check_same_numbers(data, size, text);

  // What the writer wrote loads again, into the old weights, to the same weights.
  const std::string again = scratch().path("again.json");
  write_file(again, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  restore(e, before);
  try {
    pcgrid::load_checkpoint(e, again);
  } catch (const pcgrid::SimError& x) {
    std::fprintf(stderr, "fuzz_checkpoint: checkpoint_json wrote:\n%s\nwhich load_checkpoint refuses: %s\n",
                 text.c_str(), x.what());
    finding("checkpoint_json output does not load again");
  }
  check(snapshot(e) == loaded, "checkpoint_json round trip changed the weights");
  restore(e, before);  // inputs stay independent
  return 0;
}
