// Model files: JSON → Graph. Format documented in docs/model-format.md.
#include "pcgrid/graph.hpp"
#include "pcgrid/text_pos.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace pcgrid {

namespace {

using json = nlohmann::json;

const char* type_name(const json& j) { return j.type_name(); }

struct Reader {
  const std::string& origin;
  std::string where;

  [[noreturn]] void fail(const std::string& what) const {
    throw ModelError(fmt::format("{}: {}: {}", origin, where, what));
  }
  int64_t integer(const json& o, const char* key, int64_t lo, int64_t hi) const {
    const json& j = o.at(key);
    if (!j.is_number_integer()) fail(fmt::format("'{}' must be an integer, got {} {}", key, type_name(j), j.dump()));
    int64_t v = j.is_number_unsigned() && j.get<uint64_t>() > uint64_t(INT64_MAX) ? INT64_MAX : j.get<int64_t>();
    if (v < lo || v > hi) fail(fmt::format("'{}' = {} is out of range [{}, {}]", key, j.dump(), lo, hi));
    return v;
  }
  std::string string(const json& o, const char* key) const {
    const json& j = o.at(key);
    if (!j.is_string()) fail(fmt::format("'{}' must be a string, got {} {}", key, type_name(j), j.dump()));
    return j.get<std::string>();
  }
};

constexpr int64_t kMaxDim = int64_t(1) << 26;

}  // namespace

std::string line_col(const std::string& text, size_t byte) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return fmt::format("line {}, column {}", line, col);
}

Graph parse_model(const std::string& text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string msg = e.what();
    auto p = msg.find("syntax error");
    throw ModelError(fmt::format("{}: {}: invalid JSON: {}", origin, line_col(text, e.byte ? e.byte - 1 : 0),
                                 p == std::string::npos ? msg : msg.substr(p)));
  } catch (const json::exception& e) {
    // Not a syntax error but still a bad document, e.g. out_of_range.406 "number overflow parsing '1e400'"
    // (a number beyond double range); nlohmann reports no position for these. Found by fuzz/fuzz_model.
    std::string msg = e.what();
    auto p = msg.find("] ");
    throw ModelError(fmt::format("{}: invalid JSON: {}", origin, p == std::string::npos ? msg : msg.substr(p + 2)));
  }
  Reader r{origin, "top level"};
  if (!doc.is_object()) r.fail(fmt::format("expected a JSON object, got {}", type_name(doc)));
  static const std::set<std::string> top_keys = {"format", "version", "name", "description", "vertices"};
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (!top_keys.count(it.key()))
      r.fail(fmt::format("unknown key '{}' (expected one of: format, version, name, description, vertices)", it.key()));
  if (!doc.contains("format") || doc["format"] != "pcgrid-model") r.fail("'format' must be \"pcgrid-model\"");
  if (!doc.contains("version") || !doc["version"].is_number_integer() || doc["version"].get<int64_t>() != 1)
    r.fail("'version' must be 1 (the only model format version this pcgrid reads)");
  if (!doc.contains("vertices") || !doc["vertices"].is_array()) r.fail("'vertices' must be an array of vertex objects");
  Graph g;
  if (doc.contains("name")) g.name = r.string(doc, "name");
  if (doc.contains("description")) g.description = r.string(doc, "description");
  const json& vs = doc["vertices"];
  for (size_t k = 0; k < vs.size(); ++k) {
    const json& o = vs[k];
    Vertex v;
    v.where = fmt::format("vertices[{}]", k);
    r.where = v.where;
    if (!o.is_object()) r.fail(fmt::format("expected a vertex object, got {}", type_name(o)));
    if (!o.contains("name")) r.fail("missing key 'name'");
    v.name = r.string(o, "name");
    r.where = fmt::format("vertices[{}] (vertex '{}')", k, v.name);
    if (!o.contains("op")) r.fail(fmt::format("missing key 'op' (one of: {})", op_names()));
    std::string op = r.string(o, "op");
    if (!parse_op(op, v.op)) r.fail(fmt::format("unknown op '{}' (expected one of: {})", op, op_names()));
    std::set<std::string> allowed = {"name", "op", "parents", "activation", "alpha", "loss"};
    switch (v.op) {
      case OpKind::Input: allowed = {"name", "op", "shape"}; break;
      case OpKind::Dense: allowed.insert({"units", "bias", "share"}); break;
      case OpKind::Conv2d: allowed.insert({"channels", "kernel", "stride", "padding", "bias", "share"}); break;
      case OpKind::Slice: allowed.insert({"offset", "length"}); break;
      case OpKind::Add:
      case OpKind::Mul: allowed.insert("parent_activations"); break;
      default: break;
    }
    for (auto it = o.begin(); it != o.end(); ++it)
      if (!allowed.count(it.key())) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        r.fail(fmt::format("unknown key '{}' for op '{}' (allowed: {})", it.key(), op, list));
      }
    auto req = [&](const char* key) {
      if (!o.contains(key)) r.fail(fmt::format("op '{}' needs key '{}'", op, key));
    };
    if (v.op == OpKind::Input) {
      req("shape");
      const json& s = o["shape"];
      if (!s.is_array() || s.empty()) r.fail("'shape' must be a non-empty array of positive integers");
      for (const auto& d : s) {
        if (!d.is_number_integer() || d.get<int64_t>() <= 0 || d.get<int64_t>() > kMaxDim)
          r.fail(fmt::format("'shape' entries must be integers in 1..{}, got {}", kMaxDim, d.dump()));
        v.shape.push_back(d.get<int64_t>());
      }
    } else {
      req("parents");
      const json& p = o["parents"];
      if (!p.is_array() || p.empty()) r.fail("'parents' must be a non-empty array of vertex names");
      for (const auto& s : p) {
        if (!s.is_string()) r.fail(fmt::format("'parents' entries must be strings, got {}", s.dump()));
        v.parents.push_back(s.get<std::string>());
      }
    }
    if (o.contains("activation")) {
      std::string a = r.string(o, "activation");
      if (!parse_act(a, v.act)) r.fail(fmt::format("unknown activation '{}' (expected one of: {})", a, act_names()));
    } else if (v.op == OpKind::Activation) {
      r.fail(fmt::format("op 'activation' needs key 'activation' (one of: {})", act_names()));
    }
    if (o.contains("parent_activations")) {
      const json& pa = o["parent_activations"];
      if (!pa.is_array()) r.fail("'parent_activations' must be an array of activation names");
      for (const auto& a : pa) {
        Act act;
        if (!a.is_string() || !parse_act(a.get<std::string>(), act))
          r.fail(fmt::format("'parent_activations' entry {} is not an activation (expected one of: {})", a.dump(),
                             act_names()));
        v.parent_acts.push_back(act);
      }
    }
    if (o.contains("alpha")) {
      if (!o["alpha"].is_number()) r.fail("'alpha' must be a number");
      v.act_alpha = o["alpha"].get<double>();
      if (!(v.act_alpha >= 0 && v.act_alpha < 1)) r.fail("'alpha' must be in [0, 1)");
    }
    if (o.contains("loss")) {
      std::string l = r.string(o, "loss");
      if (!parse_loss(l, v.loss)) r.fail(fmt::format("unknown loss '{}' (expected one of: {})", l, loss_names()));
    }
    if (o.contains("bias")) {
      if (!o["bias"].is_boolean()) r.fail("'bias' must be true or false");
      v.bias = o["bias"].get<bool>();
    }
    if (o.contains("share")) v.share = r.string(o, "share");
    switch (v.op) {
      case OpKind::Dense:
        req("units");
        v.units = r.integer(o, "units", 1, kMaxDim);
        break;
      case OpKind::Conv2d:
        req("channels");
        req("kernel");
        v.channels = r.integer(o, "channels", 1, 65536);
        v.kernel = r.integer(o, "kernel", 1, 64);
        if (o.contains("stride")) v.stride = r.integer(o, "stride", 1, 64);
        if (o.contains("padding")) v.padding = r.integer(o, "padding", 0, 64);
        break;
      case OpKind::Slice:
        req("offset");
        req("length");
        v.offset = r.integer(o, "offset", 0, kMaxDim);
        v.length = r.integer(o, "length", 1, kMaxDim);
        break;
      default: break;
    }
    g.add(std::move(v));
  }
  g.finalize(origin);
  return g;
}

Graph load_model(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ModelError(fmt::format("{}: is a directory, not a model file", path));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ModelError(fmt::format("{}: cannot open model file", path));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw ModelError(fmt::format("{}: read error", path));
  return parse_model(ss.str(), path);
}

std::string describe(const Graph& g) {
  std::string out = fmt::format("model '{}'{}{}\n", g.name, g.description.empty() ? "" : ": ", g.description);
  out += fmt::format("{:<14} {:<10} {:<11} {:<14} {:<10} {}\n", "vertex", "op", "activation", "shape", "params",
                     "parents");
  int64_t total = 0;
  for (size_t i : g.topo()) {
    const Vertex& v = g.v(i);
    int64_t np = 0;
    std::string ps;
    if (g.param_owner(i) == i) np = shape_size(g.weight_shape(i)) + g.bias_size(i);
    total += np;
    std::string pstr = g.param_owner(i) != Graph::npos && g.param_owner(i) != i ? "shared:" + g.v(g.param_owner(i)).name
                                                                                : std::to_string(np);
    for (auto p : g.parents(i)) ps += (ps.empty() ? "" : ", ") + g.v(p).name;
    std::string extra = v.loss != Loss::None ? fmt::format("  [output, loss {}]", to_string(v.loss)) : "";
    out += fmt::format("{:<14} {:<10} {:<11} {:<14} {:<10} {}{}\n", v.name, to_string(v.op), to_string(v.act),
                       shape_str(v.shape), pstr, ps, extra);
  }
  out += fmt::format("{} vertices, {} parameters, {} MACs per forward pass\n", g.size(), total, g.forward_macs());
  return out;
}

}  // namespace pcgrid
