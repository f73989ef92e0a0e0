#!/usr/bin/env bash
# The main job on its defaults: set up, build, then train the Fashion-MNIST MLP with predictive coding.
# Extra arguments are passed to `pcgrid train` (see `build/pcgrid train --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
exec ./build/pcgrid train models/zoo/mlp_fmnist.json "$@"
