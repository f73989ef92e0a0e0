#!/usr/bin/env bash
# Verilator line and toggle coverage of the RTL core and router (docs/rtl.md), from
#   1. the lockstep tests (tests/test_lockstep.cpp: the small multi-core MLP, all cores and routers), and
#   2. the default Fashion-MNIST MLP mapping, every core the RTL implements and every router, N samples.
# Builds a coverage-instrumented copy of the project in build-cov, writes the merged data, an annotated
# source tree and a summary (per file and per kind) to build-cov/rtl-coverage/.
# Usage: scripts/rtl_coverage.sh [SAMPLES]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-20}
export BUILD_DIR=build-cov
./scripts/build.sh -DPCGRID_RTL_COVERAGE=ON >/dev/null
out=build-cov/rtl-coverage
rm -rf "$out"
mkdir -p "$out"
export PCGRID_RTL_COVERAGE="$PWD/$out/run"
echo "rtl-coverage: lockstep tests" >&2
build-cov/tests/pcgrid_tests "[rtl]" >/dev/null
echo "rtl-coverage: default MLP mapping, $samples training samples" >&2
build-cov/pcgrid map models/zoo/mlp_fmnist.json -o "$out/mlp.map.json" >/dev/null
build-cov/pcgrid train "$out/mlp.map.json" --engine cycle --train-samples "$samples" --test-samples 10 \
  --rtl-cores all --rtl-routers all >/dev/null
verilator_coverage --write "$out/merged.dat" "$out"/run.*.dat
verilator_coverage --annotate "$out/annotated" --annotate-min 1 "$out/merged.dat" >/dev/null
python3 scripts/rtl_coverage_summary.py "$out/merged.dat" | tee "$out/summary.txt"
