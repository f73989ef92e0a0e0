#!/usr/bin/env bash
# Set up, build and run the whole test suite (ctest over the Catch2 tests and the CLI tests).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest -j "$(nproc)" --output-on-failure
