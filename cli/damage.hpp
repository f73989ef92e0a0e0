// `pcgrid damage MAPPING`: accuracy against damage, with and without recovery (docs/faults.md).
#pragma once

#include <cstdint>
#include <string>

namespace pcgrid::cli {

struct DamageOpts {
  std::string mapping, data, out_dir = "damage-out", checkpoint;
  std::string levels = "0,10,25,50,half";
  std::string recovery = "none,retrain,remap";
  int64_t pretrain_samples = 0;  // 0 = the whole training set (one epoch)
  int64_t retrain_samples = 10000;
  int64_t test_samples = 0;       // 0 = all
  int trials = 1;                 // random levels: repeat with fault seeds seed, seed+1, ...
  uint64_t seed = 1;              // weights, rounding and the choice of dead cores
  double lr = 1.0 / 128;          // training the undamaged chip
  double retrain_lr = 1.0 / 512;  // recovery: fine-tuning at a quarter of the rate
  bool json = false, force = false;
};

int run_damage(const DamageOpts& o);

}  // namespace pcgrid::cli
