// Mini-batch training of a model on an image set with the reference engines.
#pragma once

#include "pcgrid/dataset.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/reference.hpp"

#include <functional>
#include <string>
#include <vector>

namespace pcgrid {

enum class Algo { PredictiveCoding, Backprop };

struct TrainConfig {
  Algo algo = Algo::PredictiveCoding;
  PcConfig pc;
  OptConfig opt;
  Init init = Init::Xavier;
  uint64_t seed = 1;
  int epochs = 10;
  int batch = 64;
  // Learning-rate schedule: constant, or cosine decay from opt.lr to 0 over all steps
  // (Loshchilov & Hutter 2017, without restarts).
  bool cosine = true;
};

struct EpochReport {
  int epoch = 0;
  double train_loss = 0;  // mean per sample, at the forward pass
  double train_acc = 0;   // forward-pass accuracy on the training samples seen this epoch
  double test_acc = 0;
  double seconds = 0;  // training time of the epoch (excludes evaluation)
};

struct TrainResult {
  std::vector<EpochReport> epochs;
  Params params;
  double train_seconds = 0;
  int64_t samples = 0;  // training samples processed
};

// Checks that the model can consume `data`: one input of data.pixels() elements, an output of
// data.num_classes elements. Throws ModelError naming the vertex and the sizes.
void check_model_fits_data(const Graph& g, const ImageSet& data, const std::string& origin);

// Fills x (B × pixels, scaled to [0,1]) and one-hot targets (B × classes) for samples idx[from, from+B).
void make_batch(const ImageSet& d, const std::vector<int64_t>& idx, int64_t from, int B, std::vector<double>& x,
                std::vector<double>& t);

// Accuracy of the forward pass (argmax of the output prediction) on d.
double evaluate(const Graph& g, const Params& p, const ImageSet& d, int batch = 256);

// progress(samples done in this epoch, samples per epoch, epoch index, running mean loss)
using Progress = std::function<void(int64_t, int64_t, int, double)>;

TrainResult train(const Graph& g, const ImageSet& train_set, const ImageSet& test_set, const TrainConfig& cfg,
                  const Progress& progress = {});

}  // namespace pcgrid
