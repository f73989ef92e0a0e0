#!/usr/bin/env bash
# Builds the project with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan and runs the whole
# test suite there, except the tests labelled `hdl` (tests/CMakeLists.txt: Verilator lint, Icarus, Yosys and
# Python only, no C++ of the project for the sanitizers to watch; scripts/test.sh runs them). Any sanitizer
# report fails the run (UBSan does not recover; ASan aborts).
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=build-asan
# clang++: a second compiler for the warning gate; g++ 12 with -fsanitize reports a false
# -Wuninitialized inside Boost.Graph (boost/graph/named_graph.hpp) under -Werror. PCGRID_NETLIST=OFF: the gate-level
# core model is generated code (Yosys + Verilator) whose sanitized build costs minutes and checks none of ours; the
# tests stage runs it, and here CTest rtl_netlist_missing checks --rtl-netlist's error without it.
./scripts/build.sh -DCMAKE_CXX_COMPILER=clang++ -DPCGRID_SANITIZE=ON -DPCGRID_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPCGRID_NETLIST=OFF
cd build-asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest -j "$(nproc)" --output-on-failure -LE hdl
