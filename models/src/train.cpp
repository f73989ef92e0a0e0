#include "pcgrid/train.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace pcgrid {

void check_model_fits_data(const Graph& g, const ImageSet& d, const std::string& origin) {
  if (g.inputs().size() != 1)
    throw ModelError(
        fmt::format("{}: the model has {} input vertices; image data feeds exactly one", origin, g.inputs().size()));
  const size_t in = g.inputs()[0];
  if (g.size_of(in) != d.pixels())
    throw ModelError(fmt::format("{}: input vertex '{}' has {} elements {} but the data has {}x{} = {} pixels", origin,
                                 g.v(in).name, g.size_of(in), shape_str(g.v(in).shape), d.rows, d.cols, d.pixels()));
  if (g.size_of(g.output()) != d.num_classes)
    throw ModelError(fmt::format("{}: output vertex '{}' has {} elements but the data has {} classes", origin,
                                 g.v(g.output()).name, g.size_of(g.output()), d.num_classes));
}

void make_batch(const ImageSet& d, const std::vector<int64_t>& idx, int64_t from, int B, std::vector<double>& x,
                std::vector<double>& t) {
  const int64_t P = d.pixels();
  x.resize(size_t(B * P));
  t.assign(size_t(B * d.num_classes), 0.0);
  for (int b = 0; b < B; ++b) {
    const int64_t s = idx[size_t(from + b)];
    const uint8_t* img = &d.images[size_t(s * P)];
    for (int64_t k = 0; k < P; ++k) x[size_t(b * P + k)] = img[k] * (1.0 / 255.0);
    t[size_t(b * d.num_classes + d.labels[size_t(s)])] = 1.0;
  }
}

namespace {
int64_t count_correct(const Graph& g, const State& s, const ImageSet& d, const std::vector<int64_t>& idx, int64_t from,
                      int B) {
  const int64_t n = g.size_of(g.output());
  int64_t ok = 0;
  for (int b = 0; b < B; ++b) {
    const double* y = &s.out_fwd[size_t(b * n)];
    const int64_t arg = std::max_element(y, y + n) - y;
    ok += arg == d.labels[size_t(idx[size_t(from + b)])];
  }
  return ok;
}
}  // namespace

double evaluate(const Graph& g, const Params& p, const ImageSet& d, int batch) {
  if (d.count == 0) return 0;
  std::vector<int64_t> idx(size_t(d.count));
  std::iota(idx.begin(), idx.end(), 0);
  std::vector<double> x, t;
  State s;
  int64_t ok = 0;
  for (int64_t from = 0; from < d.count; from += batch) {
    const int B = int(std::min<int64_t>(batch, d.count - from));
    make_batch(d, idx, from, B, x, t);
    forward(g, p, B, {x.data()}, s);
    ok += count_correct(g, s, d, idx, from, B);
  }
  return double(ok) / double(d.count);
}

TrainResult train(const Graph& g, const ImageSet& tr, const ImageSet& te, const TrainConfig& cfg,
                  const Progress& progress) {
  TrainResult res;
  res.params = init_params(g, cfg.init, cfg.seed);
  Optimizer opt(cfg.opt, res.params);
  Rng shuffle_rng(cfg.seed ^ 0x5eed5eed5eed5eedULL);
  std::vector<int64_t> idx(size_t(tr.count));
  std::iota(idx.begin(), idx.end(), 0);
  std::vector<double> x, t;
  State s;
  Grads gr;
  const int64_t steps_per_epoch = (tr.count + cfg.batch - 1) / cfg.batch;
  const double total_steps = double(steps_per_epoch) * cfg.epochs;
  int64_t step = 0;
  for (int ep = 0; ep < cfg.epochs; ++ep) {
    for (size_t k = idx.size(); k > 1; --k) std::swap(idx[k - 1], idx[size_t(shuffle_rng.below(k))]);
    const auto t0 = std::chrono::steady_clock::now();
    double loss = 0;
    int64_t ok = 0, seen = 0;
    for (int64_t from = 0; from < tr.count; from += cfg.batch) {
      const int B = int(std::min<int64_t>(cfg.batch, tr.count - from));
      make_batch(tr, idx, from, B, x, t);
      if (cfg.algo == Algo::Backprop)
        backprop(g, res.params, B, {x.data()}, t.data(), s, gr);
      else
        pc_learn(g, res.params, cfg.pc, B, {x.data()}, t.data(), s, gr);
      if (cfg.cosine) opt.set_lr(cfg.opt.lr * 0.5 * (1 + std::cos(3.141592653589793 * double(step) / total_steps)));
      opt.step(res.params, gr, 1.0 / B);
      ++step;
      loss += s.loss;
      ok += count_correct(g, s, tr, idx, from, B);
      seen += B;
      if (progress) progress(seen, tr.count, ep, loss / double(seen));
    }
    EpochReport r;
    r.epoch = ep + 1;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.train_loss = loss / double(std::max<int64_t>(seen, 1));
    r.train_acc = double(ok) / double(std::max<int64_t>(seen, 1));
    r.test_acc = evaluate(g, res.params, te);
    res.train_seconds += r.seconds;
    res.samples += seen;
    res.epochs.push_back(r);
  }
  return res;
}

}  // namespace pcgrid
