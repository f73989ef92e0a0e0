#!/usr/bin/env bash
# The main job on its defaults: set up, build, map the Fashion-MNIST MLP onto the default 8x8 grid
# (mapping file + SVG in out/), then train it with predictive coding on the packaged Fashion-MNIST.
# Extra arguments are passed to `pcgrid train` (see `build/pcgrid train --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
mkdir -p out
echo "== 1. map: models/zoo/mlp_fmnist.json onto arch/default.json"
./build/pcgrid map models/zoo/mlp_fmnist.json --arch arch/default.json -o out/mlp_fmnist.mapping.json --force
echo
echo "== 2. train: predictive coding, double-precision reference engine (the cycle-level chip is not built yet)"
./build/pcgrid train models/zoo/mlp_fmnist.json "$@"
