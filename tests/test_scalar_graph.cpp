// The branching scalar graph of Millidge, Tschantz & Buckley 2020 §5.1 (DESIGN.md §2):
//   y1 = θ·y0, y2 = √y1, y3 = y0², y4 = tan(y2) + sin(y3), y0 = 5, θ = 2, target 1, L = ½(y4 − 1)².
// Backprop gives dL/dy0 ≈ −11.37; fixed-prediction PC must reach it.
#include "pcgrid/graph.hpp"
#include "pcgrid/reference.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace pcgrid;

namespace {

const char* kScalarModel = R"({
  "format": "pcgrid-model", "version": 1, "name": "paper-5.1",
  "vertices": [
    {"name": "y0", "op": "input", "shape": [1]},
    {"name": "y1", "op": "dense", "parents": ["y0"], "units": 1, "bias": false},
    {"name": "y2", "op": "activation", "parents": ["y1"], "activation": "sqrt"},
    {"name": "y3", "op": "activation", "parents": ["y0"], "activation": "square"},
    {"name": "y4", "op": "add", "parents": ["y2", "y3"], "parent_activations": ["tan", "sin"], "loss": "mse"}
  ]})";

double analytic_dL_dy0() {
  const double y0 = 5, th = 2, y1 = th * y0, y2 = std::sqrt(y1), y3 = y0 * y0;
  const double y4 = std::tan(y2) + std::sin(y3);
  const double dy4 = y4 - 1;
  const double c = std::cos(y2);
  return dy4 * (1 / (c * c) * 0.5 / std::sqrt(y1) * th + std::cos(y3) * 2 * y0);
}

struct Fixture {
  Graph g = parse_model(kScalarModel, "paper-5.1");
  Params p;
  double x = 5, target = 1;
  Fixture() {
    p = init_params(g, Init::Xavier, 1);
    p.w[g.find("y1")][0] = 2.0;
  }
};

}  // namespace

TEST_CASE("backprop on the paper's scalar graph gives dL/dy0 = -11.37", "[reference][paper]") {
  Fixture f;
  State s;
  Grads gr;
  backprop(f.g, f.p, 1, {&f.x}, &f.target, s, gr);
  const double dy0 = s.in_grad[f.g.find("y0")][0];
  CHECK(dy0 == Approx(analytic_dL_dy0()).epsilon(1e-12));
  CHECK(dy0 == Approx(-11.37).margin(0.005));
  // dL/dθ = dL/dy1 · y0
  const double dy1 = -s.eps[f.g.find("y1")][0];
  CHECK(gr.w[f.g.find("y1")][0] == Approx(dy1 * 5).epsilon(1e-12));
}

TEST_CASE("fixed-prediction PC reaches backprop's dL/dy0 on the scalar graph", "[reference][paper]") {
  Fixture f;
  State bs, s;
  Grads bg, gr;
  backprop(f.g, f.p, 1, {&f.x}, &f.target, bs, bg);
  const size_t y0 = f.g.find("y0");
  const double bp = bs.in_grad[y0][0];

  SECTION("inference rate 0.1, 100 steps: within 1e-3") {
    pc_learn(f.g, f.p, {PcMode::FixedPrediction, 100, 0.1}, 1, {&f.x}, &f.target, s, gr);
    CHECK(std::abs(s.in_grad[y0][0] - bp) < 1e-3);
    // Too few steps must not be enough: the test can fail.
    pc_learn(f.g, f.p, {PcMode::FixedPrediction, 5, 0.1}, 1, {&f.x}, &f.target, s, gr);
    CHECK(std::abs(s.in_grad[y0][0] - bp) > 1e-3);
  }
  SECTION("inference rate 1.0, 10 steps: within 1e-9") {
    pc_learn(f.g, f.p, {PcMode::FixedPrediction, 10, 1.0}, 1, {&f.x}, &f.target, s, gr);
    CHECK(std::abs(s.in_grad[y0][0] - bp) < 1e-9);
    // every vertex's error equals −∂L/∂v, and the weight gradient equals backprop's
    for (size_t i = 0; i < f.g.size(); ++i)
      if (f.g.v(i).op != OpKind::Input) CHECK(s.eps[i][0] == Approx(bs.eps[i][0]).margin(1e-12));
    CHECK(gr.w[f.g.find("y1")][0] == Approx(bg.w[f.g.find("y1")][0]).margin(1e-12));
  }
}

TEST_CASE("standard PC on the scalar graph tends to backprop as the output nudge shrinks", "[reference][paper]") {
  Fixture f;
  const size_t y0 = f.g.find("y0");
  State bs;
  Grads bg;
  backprop(f.g, f.p, 1, {&f.x}, &f.target, bs, bg);
  const double bp = bs.in_grad[y0][0];
  double prev = 1e300;
  for (double beta : {1.0, 0.1, 0.01, 0.001}) {
    State s;
    Grads gr;
    pc_learn(f.g, f.p, {PcMode::Standard, 400, 0.1, beta}, 1, {&f.x}, &f.target, s, gr);
    const double rel = std::abs(s.in_grad[y0][0] - bp) / std::abs(bp);
    INFO("beta " << beta << " relative error " << rel);
    CHECK(rel < prev);
    prev = rel;
  }
  CHECK(prev < 0.01);
}

TEST_CASE("per-neuron inference rates change the path, not the equilibrium", "[reference][paper]") {
  Fixture f;
  State bs, s, s_pre;
  Grads bg, gr, gr_pre;
  backprop(f.g, f.p, 1, {&f.x}, &f.target, bs, bg);
  const size_t y0 = f.g.find("y0");
  PcConfig c{PcMode::FixedPrediction, 2000, 0.1};
  c.precondition = true;
  pc_learn(f.g, f.p, c, 1, {&f.x}, &f.target, s_pre, gr_pre);
  CHECK(std::abs(s_pre.in_grad[y0][0] - bs.in_grad[y0][0]) < 1e-9);
  // Standard PC: same fixed point with and without preconditioning.
  pc_learn(f.g, f.p, {PcMode::Standard, 3000, 0.1}, 1, {&f.x}, &f.target, s, gr);
  c.mode = PcMode::Standard;
  c.steps = 3000;
  pc_learn(f.g, f.p, c, 1, {&f.x}, &f.target, s_pre, gr_pre);
  CHECK(s_pre.in_grad[y0][0] == Approx(s.in_grad[y0][0]).epsilon(1e-6));
  // ... but a different path: after a few steps the two differ.
  c.steps = 3;
  pc_learn(f.g, f.p, c, 1, {&f.x}, &f.target, s_pre, gr_pre);
  pc_learn(f.g, f.p, {PcMode::Standard, 3, 0.1}, 1, {&f.x}, &f.target, s, gr);
  CHECK(std::abs(s_pre.in_grad[y0][0] - s.in_grad[y0][0]) > 1e-6);
}
