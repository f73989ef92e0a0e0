// The Verilog RTL (rtl/pcg_core.sv, rtl/pcg_router.sv) in lockstep with the SystemC grid (docs/rtl.md):
// every core and router of a multi-core mapping on the Verilated RTL, a training run with several
// relaxation steps and weight updates; zero scoreboard mismatches, the same cycle counts and the same
// weights as the SystemC-only run. And the scoreboard's own test: a core with a flipped rounding bit
// must be caught, with core, cycle, address and both values in the report.
#include <catch2/catch.hpp>

#include "pcgrid/engine.hpp"
#include "pcgrid/fixed.hpp"
#include "pcgrid/kernel.hpp"
#include "pcgrid/lockstep.hpp"
#include "sim_test_util.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>

using namespace pcgrid;

namespace {

// Dense slices with the activations the RTL implements, an MSE output: every slice can run on the RTL.
const char* kRtlMlp = R"({"format": "pcgrid-model", "version": 1, "name": "rtl-mlp", "vertices": [
    {"name": "x", "op": "input", "shape": [16]},
    {"name": "h1", "op": "dense", "parents": ["x"], "units": 12, "activation": "relu"},
    {"name": "h2", "op": "dense", "parents": ["h1"], "units": 10, "activation": "hard_tanh"},
    {"name": "out", "op": "dense", "parents": ["h2"], "units": 4, "loss": "mse"}]})";

constexpr int kPixels = 16, kClasses = 4, kTrain = 12;

struct Outcome {
  std::string error;
  int64_t cycles = 0;
  std::vector<int16_t> sram;
  std::string report;
};

// One run in a forked child: `lockstep` = RTL on every core and router.
Outcome run(const Mapping& m, bool lockstep, bool mutant, int shift_lr = 4) {
  const Samples d = synthetic_samples(kPixels, kClasses, kTrain, 5);
  const std::string b = in_child(
      [&] {
        FxConfig c;
        c.steps = 3;
        c.shift_v = 1;  // η_v = 1/2: ε moves partway each step, so relaxation rounds
        c.shift_lr = shift_lr;
        auto e = make_cycle_engine(m, c);
        std::shared_ptr<Lockstep> l;
        if (lockstep) {
          LockstepConfig lc;
          lc.all_cores = lc.all_routers = true;
          lc.mutant = mutant;
          l = attach_lockstep(*e, lc);
        }
        for (int s = 0; s < kTrain; ++s) e->train(&d.pixels[size_t(s * kPixels)], d.labels[size_t(s)]);
        e->sync();
        std::string out = "OK" + std::to_string(e->stats().train_cycles) + "\n" + (l ? l->report_json() : "{}") + "\n";
        for (int16_t w : all_sram_words(*e)) out += std::to_string(w) + " ";
        return out;
      },
      300);
  Outcome o;
  if (b.compare(0, 2, "OK") != 0) {
    o.error = b.substr(2);
    return o;
  }
  std::istringstream is(b.substr(2));
  is >> o.cycles;
  is.ignore();
  std::getline(is, o.report);
  int v = 0;
  while (is >> v) o.sram.push_back(int16_t(v));
  return o;
}

// Runs `m` on the SystemC grid alone and with every core and router on the RTL, and checks that the
// lockstep run had no mismatch and ended with the same cycle count and the same SRAM. Returns its report.
nlohmann::json check_lockstep_matches_systemc(const Mapping& m) {
  const Outcome sc = run(m, false, false);
  INFO(sc.error);
  REQUIRE(sc.error.empty());
  const Outcome rtl = run(m, true, false);
  INFO(rtl.error);
  REQUIRE(rtl.error.empty());
  INFO(rtl.report);
  const nlohmann::json r = nlohmann::json::parse(rtl.report);
  CHECK(r.at("mismatches") == 0);
  CHECK(r.at("cycle_mismatches") == 0);
  CHECK(rtl.cycles == sc.cycles);
  CHECK(rtl.sram == sc.sram);
  CHECK(r.at("weight_words") > 0);
  return r;
}

// The same check at learning rate 1 (shift 0), where weights and activations reach the clamps: the RTL run
// ends with the SystemC run's cycles and SRAM. Returns the SystemC run's SRAM.
std::vector<int16_t> check_lr1_matches_systemc(const Mapping& m) {
  const Outcome sc = run(m, false, false, 0);
  INFO(sc.error);
  REQUIRE(sc.error.empty());
  const Outcome rtl = run(m, true, false, 0);
  INFO(rtl.error);
  REQUIRE(rtl.error.empty());
  CHECK(rtl.cycles == sc.cycles);
  CHECK(rtl.sram == sc.sram);
  return sc.sram;
}

Mapping rtl_mapping() {
  // Small cores: every hidden vertex is cut into several slices on several cores.
  return test_mapping(kRtlMlp, small_arch(3, 3, 128, 8));
}

}  // namespace

TEST_CASE("RTL core and router in lockstep with the SystemC grid: zero mismatches, same cycles", "[rtl][sim]") {
  const Mapping m = rtl_mapping();
  REQUIRE(m.slices.size() >= 5);
  const nlohmann::json r = check_lockstep_matches_systemc(m);
  // It really ran on the RTL: every slice's phases, payloads and weights went through the scoreboard.
  CHECK(r.at("rtl_cores") >= 4);
  CHECK(r.at("phases") > 0);
  CHECK(r.at("payload_words") > 0);
  CHECK(r.at("router_grants") > 0);
  // dense relu and hard_tanh only: every core runs the core as the synthesis top builds it (ACTS = 0, ELEM = 0)
  CHECK(r.at("rtl_cores_full_build") == 0);
}

// Four dense layers: on one core they fill all four contexts of the RTL core.
const char* kRtlMlp4 = R"({"format": "pcgrid-model", "version": 1, "name": "rtl-mlp4", "vertices": [
    {"name": "x", "op": "input", "shape": [16]},
    {"name": "h1", "op": "dense", "parents": ["x"], "units": 12, "activation": "relu"},
    {"name": "h2", "op": "dense", "parents": ["h1"], "units": 10, "activation": "hard_tanh"},
    {"name": "h3", "op": "dense", "parents": ["h2"], "units": 8},
    {"name": "out", "op": "dense", "parents": ["h3"], "units": 4, "loss": "mse"}]})";

TEST_CASE("RTL lockstep with several slices per core: every context of the RTL core in use", "[rtl][sim]") {
  // Few cores with room for several slices each: a core runs up to CTX = 4 slices, each with its own
  // generator state, δ banks and re-send flags (the contexts); the other tests place one slice per core.
  struct Case {
    const char* name;
    const char* model;
    Arch arch;
    int slices_on_busiest;
  };
  const Case cases[] = {{"2x2 grid, two slices on a core", kRtlMlp, small_arch(2, 2, 1024, 16), 2},
                        {"one core, four slices", kRtlMlp4, small_arch(1, 1, 4096, 64), 4}};
  for (const Case& k : cases) {
    SECTION(k.name) {
      const Mapping m = test_mapping(k.model, k.arch);
      std::map<int, int> per_core;
      for (size_t s = 0; s < m.slices.size(); ++s)
        if (!m.slices[s].is_input) ++per_core[m.core_of[s]];
      int most = 0;
      for (const auto& [core, n] : per_core) most = std::max(most, n);
      REQUIRE(most == k.slices_on_busiest);
      check_lockstep_matches_systemc(m);
    }
  }
}

TEST_CASE("RTL lockstep at saturation: learning rate 1 drives weights, sums and errors to their limits", "[rtl][sim]") {
  // lr = 2^0 makes the weights and activations grow until the int16 / int32 clamps act: the saturation
  // paths of the RTL against the SystemC model's.
  const Mapping m = rtl_mapping();
  int at_limit = 0;
  for (int16_t w : check_lr1_matches_systemc(m)) at_limit += w == INT16_MAX || w == INT16_MIN;
  CHECK(at_limit > 0);  // the run did reach the clamps
}

TEST_CASE("lockstep scoreboard: a mutated RTL core (rounding bit flipped) is caught — expected failure", "[rtl][sim]") {
  const Outcome o = run(rtl_mapping(), true, true);
  INFO(o.error);
  REQUIRE_FALSE(o.error.empty());
  CHECK(o.error.find("first divergence") != std::string::npos);
  CHECK(o.error.find("core (") != std::string::npos);
  CHECK(o.error.find("cycle") != std::string::npos);
  CHECK(o.error.find("RTL") != std::string::npos);
  CHECK(o.error.find("SystemC") != std::string::npos);
}

// The softmax output error (rtl/pcg_softmax.sv, command SMAX) against fx::softmax_ce_error on chosen and
// random logits: the exp table's ends (differences beyond 16.0 give e = 0, equal maxima e = 2^16), full
// int16 range, labels at both ends and beyond the slice; 4 + 20·n cycles (the SystemC kernel's charge);
// the scratch sums cleared.
struct SoftmaxCase {
  std::vector<int16_t> v;
  int label;
};
std::vector<SoftmaxCase> softmax_cases() {
  std::mt19937 rng(7);
  std::vector<SoftmaxCase> cases = {{{0}, 0},
                                    {{-32768}, 1},
                                    {{5, 5}, 1},
                                    {{32767, -32768, 0}, 1},
                                    {{100, 100, 100, 100}, 3},
                                    {{2048, 0, -2048, -4096, -32768, 30000, 29999, 29873}, 5},
                                    {{-32768, -32768, -32767}, 2}};
  std::vector<int16_t> ramp;  // every table interval and fraction below the maximum
  for (int k = 0; k < 256; ++k) ramp.push_back(int16_t(-k * 129));
  cases.push_back({ramp, 255});
  for (int n : {2, 3, 10, 37, 100, 200, 256}) {
    for (int spread : {300, 8000, 65535}) {
      std::vector<int16_t> v(static_cast<size_t>(n));
      const int base = int(rng() % 20000) - 10000;
      for (auto& x : v) x = int16_t(std::clamp(base + int(rng() % unsigned(spread + 1)) - spread / 2, -32768, 32767));
      cases.push_back({v, int(rng() % unsigned(n + 1))});  // label n: beyond the slice (no target here)
    }
  }
  return cases;
}

TEST_CASE("RTL softmax-CE output error is the fixed-point specification, in 4 + 20 n cycles", "[rtl]") {
  const std::vector<SoftmaxCase> cases = softmax_cases();
  for (const SoftmaxCase& c : cases) {
    const int n = int(c.v.size());
    std::vector<int16_t> want(static_cast<size_t>(n));
    fx::softmax_ce_error(c.v.data(), n, c.label, want.data());
    const RtlSoftmax got = rtl_softmax_ce(c.v, c.label);
    INFO("n " << n << " label " << c.label << " v[0] " << c.v[0]);
    CHECK(got.eps == want);
    CHECK(got.cycles == kPhaseCycles + 2 * n + kDivCycles * n);
    CHECK(got.esum_left == 0);
  }
}

// The same test's own check: the mutant core (built with PCG_MUTATE_ROUNDING; its softmax drops the
// interpolation's round-half-up 2^6) must disagree with the specification on some of the same cases.
TEST_CASE("RTL softmax-CE: the mutated core (interpolation rounding dropped) is caught — expected failure", "[rtl]") {
  int differ = 0, cases = 0;
  for (const SoftmaxCase& c : softmax_cases()) {
    const int n = int(c.v.size());
    std::vector<int16_t> want(static_cast<size_t>(n));
    fx::softmax_ce_error(c.v.data(), n, c.label, want.data());
    const RtlSoftmax bad = rtl_softmax_ce(c.v, c.label, true);
    REQUIRE(bad.eps.size() == want.size());
    differ += bad.eps != want;
    ++cases;
  }
  INFO(differ << " of " << cases << " cases differ");
  CHECK(differ > 0);
}

// The exp table in the RTL's ROM is fx::exp_table() (the specification's table), entry for entry.
TEST_CASE("the RTL softmax's exp ROM holds the specification's table", "[rtl]") {
  std::ifstream f(std::string(PCGRID_SOURCE_DIR) + "/rtl/pcg_softmax.sv");
  REQUIRE(f);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::regex entry(R"(t\[(\d+)\] = 16'd(\d+); d\[(\d+)\] = 12'd(\d+);)");
  const int32_t* t = fx::exp_table();
  int seen = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), entry); it != std::sregex_iterator(); ++it) {
    const int k = std::stoi((*it)[1]);
    REQUIRE(k == seen);
    REQUIRE(std::stoi((*it)[3]) == k);
    CHECK(std::stoi((*it)[2]) == t[k]);
    CHECK(std::stoi((*it)[4]) == t[k + 1] - t[k]);
    ++seen;
  }
  CHECK(seen == 256);
  CHECK(t[256] == 65536);  // the u = 2^15 case the RTL hard-wires
}

// The softmax-CE network: every core on the RTL, the output core included.
const char* kRtlSoftmax = R"({"format": "pcgrid-model", "version": 1, "name": "rtl-softmax", "vertices": [
    {"name": "x", "op": "input", "shape": [16]},
    {"name": "h1", "op": "dense", "parents": ["x"], "units": 12, "activation": "relu"},
    {"name": "h2", "op": "dense", "parents": ["h1"], "units": 10, "activation": "hard_tanh"},
    {"name": "out", "op": "dense", "parents": ["h2"], "units": 4, "loss": "softmax_ce"}]})";

TEST_CASE("RTL lockstep with a softmax-CE output: the output core runs on the RTL too", "[rtl][sim]") {
  const Mapping m = test_mapping(kRtlSoftmax, small_arch(3, 3, 128, 8));
  const nlohmann::json r = check_lockstep_matches_systemc(m);
  INFO(r.dump());
  CHECK(r.at("kept_on_systemc").empty());
  std::set<int> busy;
  for (size_t s = 0; s < m.slices.size(); ++s)
    if (!m.slices[s].is_input) busy.insert(m.core_of[s]);
  CHECK(r.at("rtl_cores") == int(busy.size()));
  check_lr1_matches_systemc(m);  // where the logits spread beyond the exp table's 16.0
}

// leaky_relu, tanh and sigmoid on the RTL core (pcg_act.sv): v̂ and δ (through both of the core's δ paths:
// ERR's δ pass and UPDATE's row prefetch) are fx::act_forward / fx::act_delta for pre-activations at every
// edge of the table's range and its interpolation, errors at the int16 limits, and random values; the
// forward pass in the timing contract's 4 + n cycles whatever the activation.
TEST_CASE("RTL activations leaky_relu, tanh and sigmoid are the fixed-point specification", "[rtl]") {
  std::vector<int16_t> pre = {-32768, -20000, -16385, -16384, -16383, -16257, -16256, -16255, -2049, -2048,
                              -1024,  -129,   -128,   -127,   -64,    -2,     -1,     0,      1,     2,
                              63,     64,     127,    128,    129,    1024,   2047,   2048,   2049,  16255,
                              16256,  16257,  16383,  16384,  16385,  20000,  32767};
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> any16(-32768, 32767), near(-5000, 5000);
  while (pre.size() < 120) pre.push_back(int16_t(pre.size() % 2 ? any16(rng) : near(rng)));
  std::vector<int16_t> eps(pre.size());
  for (size_t k = 0; k < eps.size(); ++k)
    eps[k] = int16_t(k % 7 == 0 ? -32768 : k % 7 == 1 ? 32767 : k % 7 == 2 ? (k % 2 ? 1 : -1) : any16(rng));
  eps[17] = 0;  // pre = 0 with ε = 0
  struct Act {
    const char* name;
    fx::FxAct kind;
    int alpha;
  };
  const Act acts[] = {{"leaky_relu 0.01", fx::FxAct::LeakyRelu, 328},
                      {"leaky_relu 0", fx::FxAct::LeakyRelu, 0},
                      {"leaky_relu 0.5", fx::FxAct::LeakyRelu, 16384},
                      {"leaky_relu 32767/32768", fx::FxAct::LeakyRelu, 32767},
                      {"tanh", fx::FxAct::Tanh, 328},
                      {"sigmoid", fx::FxAct::Sigmoid, 328},
                      {"relu", fx::FxAct::Relu, 328},
                      {"hard_tanh", fx::FxAct::HardTanh, 328},
                      {"identity", fx::FxAct::Identity, 328}};
  for (const Act& a : acts) {
    SECTION(a.name) {
      fx::ActParams ap;
      ap.kind = a.kind;
      ap.alpha_q15 = int16_t(a.alpha);
      const RtlAct r = rtl_activation(int(a.kind), a.alpha, pre, eps);
      CHECK(r.fwd_cycles == kPhaseCycles + int64_t(pre.size()));
      int nonzero = 0;
      for (size_t k = 0; k < pre.size(); ++k) {
        const int16_t v = fx::act_forward(ap, pre[k]);
        const int16_t d = fx::act_delta(ap, pre[k], v, eps[k]);
        INFO(a.name << ": pre " << pre[k] << ", eps " << eps[k]);
        CHECK(r.vhat[k] == v);
        CHECK(r.delta_err[k] == d);
        CHECK(r.delta_update[k] == d);
        nonzero += d != 0 && d != eps[k];
      }
      // the multiplier path is exercised: some δ are neither 0 nor ε (leaky 0 and the pass-bit activations aside)
      if (a.kind == fx::FxAct::Tanh || a.kind == fx::FxAct::Sigmoid || (a.kind == fx::FxAct::LeakyRelu && a.alpha > 0))
        CHECK(nonzero > 10);
    }
  }
}

// A SEED right before an UPDATE of its context: the ACTS core keeps the generator states in flip-flops
// written an edge late, with a bypass for exactly this case; the weights the UPDATE leaves are the same with
// an idle edge between the two commands, and differ from those of an unseeded generator.
TEST_CASE("RTL core: an UPDATE right after a SEED of its context uses the new generator state", "[rtl]") {
  std::vector<int16_t> pre(20), eps(20);
  for (int k = 0; k < 20; ++k) {
    pre[size_t(k)] = int16_t(500 * k - 4000);
    eps[size_t(k)] = int16_t(3000 - 321 * k);
  }
  const int tanh = int(fx::FxAct::Tanh);
  const RtlAct unseeded = rtl_activation(tanh, 0, pre, eps);
  const RtlAct back_to_back = rtl_activation(tanh, 0, pre, eps, 0x9e3779b9U, false);
  const RtlAct with_gap = rtl_activation(tanh, 0, pre, eps, 0x9e3779b9U, true);
  CHECK(back_to_back.weights == with_gap.weights);
  CHECK(back_to_back.weights != unseeded.weights);
  CHECK(back_to_back.delta_update == unseeded.delta_update);  // shift 0: the biases draw nothing
}

// A command the core cannot carry out changes nothing and raises cmd_err, on both core builds: a FWD with an
// activation code the build lacks (the synthesized ACTS = 0 core has no leaky_relu, tanh or sigmoid), the
// undefined op 7, a strobe while busy. Every defined command is accepted and leaves cmd_err low; an accepted
// SEED clears it.
TEST_CASE("the RTL core refuses commands it cannot carry out and raises cmd_err", "[rtl]") {
  const std::vector<int16_t> before = {100, -200};
  for (const bool acts : {false, true}) {
    INFO((acts ? "ACTS = 1, ELEM = 1" : "ACTS = 0, ELEM = 0 (the synthesized core)"));
    for (int act = 0; act < 8; ++act) {
      INFO("FWD with activation code " << act);
      const bool has = act == 0 || act == 1 || act == 3 || (acts && act <= 5);
      const RtlRefusal r = rtl_refusal(acts, 0, act);
      CHECK(r.cmd_err == !has);
      CHECK(r.cycles == (has ? 6 : 0));  // 4 + n·m
      if (has)
        CHECK(r.vhat != before);  // the weights changed: an executed FWD changes v̂
      else
        CHECK(r.vhat == before);
      CHECK_FALSE(r.cmd_err_after_seed);
    }
    for (int op = 1; op < 8; ++op) {
      INFO("op " << op);
      const RtlRefusal r = rtl_refusal(acts, op, 0);
      CHECK(r.cmd_err == (op == 7));
      if (op == 7) CHECK(r.cycles == 0);
      if (op == 5) CHECK(r.cycles == 0);  // SEED: accepted, no cycles
      CHECK(r.vhat == before);            // no other op writes v̂
      CHECK_FALSE(r.cmd_err_after_seed);
    }
    for (const int op : {0, 2}) {
      INFO("op " << op << " with cmd_elem: refused by the ELEM = 0 build only");
      const RtlRefusal r = rtl_refusal(acts, op, 0, -1, true);
      CHECK(r.cmd_err == !acts);
      if (acts)
        CHECK(r.cycles > 0);
      else
        CHECK(r.cycles == 0);
      if (!acts) CHECK(r.vhat == before);
      CHECK_FALSE(r.cmd_err_after_seed);
    }
    {
      INFO("UPDATE with cmd_elem (an elementwise slice has no weights)");
      const RtlRefusal r = rtl_refusal(acts, 4, 0, -1, true);
      CHECK(r.cmd_err);
      CHECK(r.cycles == 0);
      CHECK_FALSE(r.cmd_err_after_seed);
    }
    for (const int at : {0, 2, 5}) {
      INFO("a second strobe in busy cycle " << at);
      const RtlRefusal r = rtl_refusal(acts, 0, 0, at);
      CHECK(r.cmd_err);
      CHECK(r.cycles == 6);
      CHECK(r.vhat == std::vector<int16_t>{300, -600});
      CHECK_FALSE(r.cmd_err_after_seed);
    }
  }
}

// The tables in pcg_act.sv's ROMs are fx::tanh_table() and fx::sigmoid_table(), entry for entry.
TEST_CASE("the RTL activation ROMs hold the specification's tanh and sigmoid tables", "[rtl]") {
  std::ifstream f(std::string(PCGRID_SOURCE_DIR) + "/rtl/pcg_act.sv");
  REQUIRE(f);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::regex entry(R"(t\[(\d+)\] = 16'h([0-9a-f]{4}); d\[(\d+)\] = 8'd(\d+);)");
  int seen = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), entry); it != std::sregex_iterator(); ++it) {
    const int k = std::stoi((*it)[1]);
    REQUIRE(k == seen);
    REQUIRE(std::stoi((*it)[3]) == k);
    const int32_t* t = k < 256 ? fx::tanh_table() : fx::sigmoid_table();
    const int i = k % 256;
    CHECK(int16_t(std::stoi((*it)[2], nullptr, 16)) == t[i]);
    CHECK(std::stoi((*it)[4]) == t[i + 1] - t[i]);
    ++seen;
  }
  CHECK(seen == 512);
}

// A network with every activation the RTL adds: all its cores on the RTL, zero mismatches, the same cycles
// and weights as the SystemC grid alone.
const char* kRtlActs = R"({"format": "pcgrid-model", "version": 1, "name": "rtl-acts", "vertices": [
    {"name": "x", "op": "input", "shape": [16]},
    {"name": "h1", "op": "dense", "parents": ["x"], "units": 12, "activation": "tanh"},
    {"name": "h2", "op": "dense", "parents": ["h1"], "units": 10, "activation": "leaky_relu", "alpha": 0.1},
    {"name": "h3", "op": "dense", "parents": ["h2"], "units": 8, "activation": "sigmoid"},
    {"name": "out", "op": "dense", "parents": ["h3"], "units": 4, "loss": "softmax_ce"}]})";

TEST_CASE("RTL lockstep with leaky_relu, tanh and sigmoid slices", "[rtl][sim]") {
  const Mapping m = test_mapping(kRtlActs, small_arch(3, 3, 128, 8));
  const nlohmann::json r = check_lockstep_matches_systemc(m);
  INFO(r.dump());
  CHECK(r.at("kept_on_systemc").empty());
  // the hidden layers' cores run the ACTS = 1 core, the softmax output's the ACTS = 0 one
  CHECK(r.at("rtl_cores_full_build") > 0);
  CHECK(r.at("rtl_cores_full_build") < r.at("rtl_cores"));
  check_lr1_matches_systemc(m);
}

// The elementwise add as the core does it: each parent's words added into the x buffer as they arrive
// (x = sat16(x + word)), then ELEM FWD: pre = x, v̂ = act(pre), x cleared behind the read. For two parents that
// is the spec's sat16(a + b) (fixed-point.md), at both clamps too.
TEST_CASE("RTL elementwise add: x accumulates with saturation and FWD clears it", "[rtl]") {
  std::vector<int16_t> a = {30000, -30000, 32767, -32768, 1, -1, 0, 20000, -5, 2048};
  std::vector<int16_t> b = {30000, -30000, 32767, -32768, -1, 1, 0, -30000, 7, 2048};
  for (int k = 0; k < 40; ++k) {
    a.push_back(int16_t(k * 1637 - 30000));
    b.push_back(int16_t(25000 - k * 1291));
  }
  for (const int act : {0, 1, 3, 4, 5}) {
    INFO("activation code " << act);
    const RtlElemAdd r = rtl_elem_add(a, b, act);
    fx::ActParams ap;
    ap.kind = fx::FxAct(act);
    REQUIRE(r.vhat.size() == a.size());
    for (size_t k = 0; k < a.size(); ++k) {
      INFO("k " << k << ": " << a[k] << " + " << b[k]);
      CHECK(r.vhat[k] == fx::act_forward(ap, fx::sat16(int64_t(a[k]) + b[k])));
      CHECK(r.x_after[k] == 0);
    }
    CHECK(r.vhat_again == r.vhat);
    CHECK(r.cycles == 4 + int64_t(a.size()));
  }
}

// The elementwise mul (a gate) as the core does it: FWD pre = sat16(round(a·b / 2^11)) from the weight word and
// the x word, and the errors to each parent sat16(round(δ·other / 2^11)) (fixed-point.md), at the corners too
// (−32768 · −32768 = 2^30: 4p = 2^32 leaves the accumulator's 33 bits and is held at 2^32 − 1).
TEST_CASE("RTL elementwise mul: forward product and both parents' errors are the specification", "[rtl]") {
  std::vector<int16_t> a = {-32768, 32767, -32768, 2048, -2048, 1, -1, 1024, 3, 0, 181, -182};
  std::vector<int16_t> b = {-32768, 32767, 32767, 2048, 2048, 1024, 1024, -1024, 341, 555, 181, 181};
  std::vector<int16_t> eps = {-32768, 32767, 1, -1, 8192, -8192, 4096, 3, -3, 12345, -7, 0};
  for (int k = 0; k < 40; ++k) {
    a.push_back(int16_t(k * 1637 - 30000));
    b.push_back(int16_t(25000 - k * 1291));
    eps.push_back(int16_t(k * 997 - 20000));
  }
  const int64_t n = int64_t(a.size());
  for (const int act : {0, 1, 4}) {
    INFO("activation code " << act);
    const RtlElemMul r = rtl_elem_mul(a, b, eps, act);
    fx::ActParams ap;
    ap.kind = fx::FxAct(act);
    for (size_t k = 0; k < a.size(); ++k) {
      INFO("k " << k << ": a " << a[k] << " b " << b[k] << " eps " << eps[k]);
      const int16_t pre = fx::sat16(fx::rshift_round(int64_t(a[k]) * b[k], fx::kValueFrac));
      const int16_t v = fx::act_forward(ap, pre);
      CHECK(r.vhat[k] == v);
      const int64_t d = fx::act_delta(ap, pre, v, eps[k]);
      CHECK(r.err_a[k] == fx::sat16(fx::rshift_round(d * b[k], fx::kValueFrac)));
      CHECK(r.err_b[k] == fx::sat16(fx::rshift_round(d * a[k], fx::kValueFrac)));
    }
    CHECK(r.fwd_cycles == 4 + n);
    CHECK(r.err_a_cycles == 4 + n + n);  // the δ pass, then one operation per word
    CHECK(r.err_b_cycles == 4 + n);
  }
}

// Every elementwise kind the RTL core runs with ELEM commands (add, mul, activation-only, slice, concat), sliced
// over small cores so that slices and concats cut across slice boundaries and parents arrive on several links.
const char* kRtlElem = R"({"format": "pcgrid-model", "version": 1, "name": "rtl-elem", "vertices": [
    {"name": "x", "op": "input", "shape": [16]},
    {"name": "h1", "op": "dense", "parents": ["x"], "units": 12, "activation": "tanh"},
    {"name": "h2", "op": "dense", "parents": ["x"], "units": 8, "activation": "leaky_relu", "alpha": 0.1},
    {"name": "s1", "op": "slice", "parents": ["h1"], "offset": 2, "length": 8, "activation": "relu"},
    {"name": "s2", "op": "slice", "parents": ["h1"], "offset": 0, "length": 4},
    {"name": "a", "op": "add", "parents": ["s1", "h2"], "activation": "sigmoid"},
    {"name": "g", "op": "mul", "parents": ["a", "h2"]},
    {"name": "c", "op": "concat", "parents": ["g", "s2"]},
    {"name": "t", "op": "activation", "parents": ["c"], "activation": "hard_tanh"},
    {"name": "out", "op": "dense", "parents": ["t"], "units": 4, "loss": "softmax_ce"}]})";

TEST_CASE("RTL lockstep with elementwise slices: add / mul / activation / slice / concat (ELEM)", "[rtl][sim]") {
  const Mapping m = test_mapping(kRtlElem, small_arch(4, 4, 128, 8));
  int elem = 0;
  for (const Slice& s : m.slices) {
    const OpKind k = m.graph.v(s.vertices.front()).op;
    elem +=
        k == OpKind::Add || k == OpKind::Activation || k == OpKind::Slice || k == OpKind::Concat || k == OpKind::Mul;
  }
  REQUIRE(elem >= 6);
  const nlohmann::json r = check_lockstep_matches_systemc(m);
  INFO(r.dump());
  CHECK(r.at("kept_on_systemc").empty());
  check_lr1_matches_systemc(m);
}

// A leaky slope within 2^-16 of 1 rounds to 2^15, one past Q1.15's range: the engines hold it at 32767 (it
// wrapped to −32768 before), and the RTL core, whose slope port is 15 bits, computes the same.
TEST_CASE("a leaky_relu slope just below 1 is held at 32767 in Q1.15, on the RTL too", "[rtl][sim]") {
  const std::string model =
      std::regex_replace(std::string(kRtlActs), std::regex("\"alpha\": 0.1"), "\"alpha\": 0.99999");
  const Mapping m = test_mapping(model.c_str(), small_arch(3, 3, 128, 8));
  auto e = make_functional_engine(m, FxConfig{});  // the same kernels (a cycle engine only in a child)
  bool seen = false;
  for (const SliceKernel& k : e->kernels())
    if (k.act().kind == fx::FxAct::LeakyRelu) {
      CHECK(k.act().alpha_q15 == 32767);
      seen = true;
    }
  CHECK(seen);
  check_lockstep_matches_systemc(m);
}
