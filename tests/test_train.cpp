// Training loop on small slices of Fashion-MNIST: learning happens, results are deterministic.
#include "pcgrid/dataset.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/reference.hpp"
#include "pcgrid/train.hpp"

#include <catch2/catch.hpp>

using namespace pcgrid;

namespace {
const std::string kZoo = std::string(PCGRID_SOURCE_DIR) + "/models/zoo/";

TrainConfig small_config(Algo algo) {
  TrainConfig c;
  c.algo = algo;
  c.epochs = 2;
  c.batch = 32;
  c.seed = 7;
  return c;
}
}  // namespace

TEST_CASE("PC and backprop both learn the MLP on a 2,000-sample slice", "[train]") {
  const Graph g = load_model(kZoo + "mlp_fmnist.json");
  const ImageSet tr = load_fashion_mnist(kFashionMnistDir, "train", 2000);
  const ImageSet te = load_fashion_mnist(kFashionMnistDir, "t10k", 1000);
  check_model_fits_data(g, tr, "mlp");
  const double chance = evaluate(g, init_params(g, Init::Xavier, 7), te);
  for (Algo algo : {Algo::PredictiveCoding, Algo::Backprop}) {
    const TrainResult r = train(g, tr, te, small_config(algo));
    INFO("algo " << int(algo) << " untrained " << chance << " trained " << r.epochs.back().test_acc);
    CHECK(r.epochs.back().test_acc > 0.70);
    CHECK(r.epochs.back().test_acc > chance + 0.4);
    CHECK(r.epochs.back().train_loss < r.epochs.front().train_loss);
  }
}

TEST_CASE("training is deterministic for a seed and changes with it", "[train]") {
  const Graph g = load_model(kZoo + "residual_mlp_fmnist.json");
  const ImageSet tr = load_fashion_mnist(kFashionMnistDir, "train", 300);
  const ImageSet te = load_fashion_mnist(kFashionMnistDir, "t10k", 100);
  TrainConfig c = small_config(Algo::PredictiveCoding);
  const TrainResult a = train(g, tr, te, c), b = train(g, tr, te, c);
  CHECK(a.params.w == b.params.w);
  CHECK(a.params.b == b.params.b);
  c.seed = 8;
  const TrainResult d = train(g, tr, te, c);
  CHECK(a.params.w != d.params.w);
}

TEST_CASE("fixed-prediction PC with eta_v = 1 trains exactly like backprop", "[train]") {
  // With T >= depth and eta_v = 1 the errors are exactly backprop's gradients, so the whole training run
  // follows backprop up to rounding.
  const Graph g = load_model(kZoo + "mlp_fmnist.json");
  const ImageSet tr = load_fashion_mnist(kFashionMnistDir, "train", 256);
  const ImageSet te = load_fashion_mnist(kFashionMnistDir, "t10k", 100);
  TrainConfig c = small_config(Algo::PredictiveCoding);
  c.epochs = 1;
  c.pc.mode = PcMode::FixedPrediction;
  c.pc.eta_v = 1.0;
  c.pc.steps = 4;
  const TrainResult pc = train(g, tr, te, c);
  c.algo = Algo::Backprop;
  const TrainResult bp = train(g, tr, te, c);
  double maxdiff = 0;
  for (size_t i = 0; i < pc.params.w.size(); ++i)
    for (size_t k = 0; k < pc.params.w[i].size(); ++k)
      maxdiff = std::max(maxdiff, std::abs(pc.params.w[i][k] - bp.params.w[i][k]));
  CHECK(maxdiff < 1e-9);
}

TEST_CASE("a model whose input or output does not match the data is refused", "[train][errors]") {
  const ImageSet tr = load_fashion_mnist(kFashionMnistDir, "t10k", 10);
  const Graph g = parse_model(R"({"format":"pcgrid-model","version":1,"vertices":[
      {"name":"x","op":"input","shape":[100]},
      {"name":"o","op":"dense","parents":["x"],"units":10,"loss":"softmax_ce"}]})",
                              "small.json");
  REQUIRE_THROWS_WITH(
      check_model_fits_data(g, tr, "small.json"),
      Catch::Contains("small.json: input vertex 'x' has 100 elements") && Catch::Contains("28x28 = 784 pixels"));
  const Graph g2 = parse_model(R"({"format":"pcgrid-model","version":1,"vertices":[
      {"name":"x","op":"input","shape":[784]},
      {"name":"o","op":"dense","parents":["x"],"units":7,"loss":"mse"}]})",
                               "seven.json");
  REQUIRE_THROWS_WITH(check_model_fits_data(g2, tr, "seven.json"),
                      Catch::Contains("output vertex 'o' has 7 elements but the data has 10 classes"));
}
