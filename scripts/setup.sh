#!/usr/bin/env bash
# Installs every Debian package pcgrid needs. Idempotent: when everything is present it prints one line
# and touches nothing. Run as root (or with sudo available) on Debian 12.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config
  # libraries (DESIGN.md §4)
  libboost-graph-dev libfmt-dev catch2 libcli11-dev nlohmann-json3-dev zlib1g-dev
  libsystemc-dev verilator
  # the mapping baseline for bench/bench_mapper.cpp (pulls OpenMPI headers as a dependency)
  libscotch-dev
  # CI gates: sanitizers and libFuzzer need clang's runtime; formatting is checked with clang-format
  clang libclang-rt-14-dev clang-format
  # the CLI tests and scripts/run.sh read pcgrid's JSON output with python3
  python3
  # FPGA flow of `pcgrid synth` (docs/synthesis.md): synthesis, place and route, bitstream; RTL simulation
  yosys nextpnr-ice40 fpga-icestorm iverilog
  # data: Fashion-MNIST in IDX format under /usr/share/datasets/fashion-mnist
  dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
