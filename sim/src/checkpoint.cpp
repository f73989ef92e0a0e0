// Checkpoint files (checkpoint.hpp, docs/checkpoint-format.md).
#include "pcgrid/checkpoint.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

namespace pcgrid {

using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "pcgrid-checkpoint";
constexpr int kVersion = 1;
constexpr const char* kNumeric = "int16 Q3.13";

// Per parameter owner: full weight matrix and bias, assembled from (or scattered to) the slices.
struct VertexParams {
  int64_t rows = 0, cols = 0;
  std::vector<int16_t> w, b;
};

std::map<size_t, VertexParams> gather(const FxEngine& e) {
  std::map<size_t, VertexParams> out;
  const Graph& g = e.mapping().graph;
  for (const SliceKernel& k : e.kernels()) {
    const SlicePlan& sp = k.plan();
    if (g.v(sp.vertex).op != OpKind::Dense) continue;
    VertexParams& vp = out[sp.vertex];
    if (vp.w.empty()) {
      vp.rows = g.size_of(sp.vertex);
      vp.cols = sp.fan_in;
      vp.w.assign(size_t(vp.rows * vp.cols), 0);
      vp.b.assign(size_t(vp.rows), 0);
    }
    std::copy(k.weights().begin(), k.weights().end(), vp.w.begin() + sp.e_lo * vp.cols);
    std::copy(k.biases().begin(), k.biases().end(), vp.b.begin() + sp.e_lo);
  }
  return out;
}

}  // namespace

std::string checkpoint_json(const FxEngine& e) {
  const Graph& g = e.mapping().graph;
  json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["model"] = g.name;
  j["numeric"] = kNumeric;
  j["samples_trained"] = e.stats().train_samples;
  j["seed"] = e.config().seed;
  json vs = json::object();
  for (const auto& [v, p] : gather(e)) vs[g.v(v).name] = {{"rows", p.rows}, {"cols", p.cols}, {"w", p.w}, {"b", p.b}};
  j["vertices"] = vs;
  return j.dump() + "\n";
}

void load_checkpoint(FxEngine& e, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw SimError(fmt::format("{}: cannot open checkpoint file", path));
  std::stringstream ss;
  ss << f.rdbuf();
  load_checkpoint_text(e, ss.str(), path);
}

void load_checkpoint_text(FxEngine& e, const std::string& text, const std::string& path) {
  auto fail = [&](const std::string& what) { return SimError(fmt::format("{}: {}", path, what)); };
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& x) {
    throw fail(fmt::format("invalid JSON: {}", x.what()));
  }
  if (!j.is_object()) throw fail("expected a JSON object");
  if (!j.contains("format") || j["format"] != kFormat)
    throw fail(fmt::format("key 'format': expected \"{}\"", kFormat));
  if (!j.contains("version") || j["version"] != kVersion)
    throw fail(fmt::format("key 'version': expected {} (this pcgrid reads checkpoint version {})", kVersion, kVersion));
  if (!j.contains("numeric") || j["numeric"] != kNumeric)
    throw fail(fmt::format("key 'numeric': expected \"{}\"", kNumeric));
  const Graph& g = e.mapping().graph;
  if (!j.contains("model") || !j["model"].is_string() || j["model"] != g.name)
    throw fail(fmt::format("key 'model': the checkpoint is of model {}, the mapping runs model '{}'",
                           j.contains("model") ? j["model"].dump() : "(missing)", g.name));
  if (!j.contains("vertices") || !j["vertices"].is_object()) throw fail("key 'vertices': expected an object");
  std::map<size_t, VertexParams> want = gather(e);
  const json& vs = j["vertices"];
  for (auto it = vs.begin(); it != vs.end(); ++it)
    if (g.find(it.key()) == Graph::npos || !want.count(g.find(it.key())))
      throw fail(fmt::format("key 'vertices.{}': the model has no parameterised vertex of that name", it.key()));
  for (auto& [v, p] : want) {
    const std::string key = "vertices." + g.v(v).name;
    if (!vs.contains(g.v(v).name)) throw fail(fmt::format("key '{}': missing", key));
    const json& o = vs[g.v(v).name];
    if (!o.is_object()) throw fail(fmt::format("key '{}': expected an object", key));
    if (o.value("rows", json()) != p.rows || o.value("cols", json()) != p.cols)
      throw fail(fmt::format("key '{}': expected rows {} and cols {} (the model's weight shape)", key, p.rows, p.cols));
    auto read = [&](const char* name, std::vector<int16_t>& dst) {
      if (!o.contains(name) || !o[name].is_array() || o[name].size() != dst.size())
        throw fail(fmt::format("key '{}.{}': expected an array of {} integers", key, name, dst.size()));
      for (size_t k = 0; k < dst.size(); ++k) {
        const json& x = o[name][k];
        // (an unsigned value is compared as unsigned: reading 2^64 − 1 as int64 would wrap to −1)
        if (!x.is_number_integer() || (x.is_number_unsigned() && x.get<uint64_t>() > uint64_t(INT16_MAX)) ||
            (!x.is_number_unsigned() && (x.get<int64_t>() < INT16_MIN || x.get<int64_t>() > INT16_MAX)))
          throw fail(
              fmt::format("key '{}.{}[{}]': expected an integer in -32768..32767, got {}", key, name, k, x.dump()));
        dst[k] = int16_t(x.get<int64_t>());
      }
    };
    read("w", p.w);
    read("b", p.b);
  }
  // Everything checked: scatter into the slices.
  for (SliceKernel& k : e.kernels()) {
    const SlicePlan& sp = k.plan();
    auto it = want.find(sp.vertex);
    if (it == want.end()) continue;
    const VertexParams& p = it->second;
    std::copy(p.w.begin() + sp.e_lo * p.cols, p.w.begin() + sp.e_hi * p.cols, k.weights().begin());
    std::copy(p.b.begin() + sp.e_lo, p.b.begin() + sp.e_hi, k.biases().begin());
  }
}

}  // namespace pcgrid
