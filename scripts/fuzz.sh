#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, docs/fuzzing.md) with clang in build-fuzz/ and runs each one for
# SECONDS_PER_TARGET seconds (default 30; CI uses a short run, `scripts/fuzz.sh 600` is a long run).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Each target starts from a copy of its checked-in seed corpus (fuzz/corpus/FORMAT/, never modified) in
# build-fuzz/corpus-run/TARGET/, which keeps what earlier runs found (FUZZ_FRESH=1 starts from the seeds
# only). Crash, leak, timeout and out-of-memory reproducers go to build-fuzz/artifacts/TARGET/, the full
# libFuzzer log to build-fuzz/logs/TARGET.log. Prints one JSON line per target:
#   {"target": ..., "seconds": ..., "execs": ..., "coverage": ..., "features": ..., "findings": N}
# and exits non-zero when any target produced a new artifact (or failed to run).
#
# Environment: FUZZ_TARGETS (default "fuzz_model fuzz_idx fuzz_arch fuzz_mapping fuzz_checkpoint fuzz_faults"),
# FUZZ_BUILD_DIR (default build-fuzz), JOBS (build parallelism, default nproc), FUZZ_FRESH=1,
# FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECONDS_PER_TARGET=${1:-30}
if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (a positive integer, default 30)" >&2
  exit 2
fi
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
TARGETS=${FUZZ_TARGETS:-fuzz_model fuzz_idx fuzz_arch fuzz_mapping fuzz_checkpoint fuzz_faults}
JOBS=${JOBS:-$(nproc)}

command -v clang++ >/dev/null || {
  echo "fuzz: clang++ not found; install the Debian packages clang and libclang-rt-14-dev" >&2
  exit 1
}

# ---- build -----------------------------------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPCGRID_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
else
  cmake "$BUILD" -DPCGRID_FUZZ=ON >/dev/null  # e.g. after a reconfigure without it
fi
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$JOBS" --target $TARGETS

# ---- run -------------------------------------------------------------------------------------------
mkdir -p "$BUILD/corpus-run" "$BUILD/artifacts" "$BUILD/logs"
status=0
for t in $TARGETS; do
  fmt=${t#fuzz_}
  seeds="$ROOT/fuzz/corpus/$fmt"
  corpus="$BUILD/corpus-run/$t"
  artifacts="$BUILD/artifacts/$t"
  log="$BUILD/logs/$t.log"
  [ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts"
  cp -r "$seeds/." "$corpus/"
  # Dictionary: fuzz/FORMAT.dict; a mapping file embeds a model and an architecture, so fuzz_mapping gets
  # model.dict + arch.dict concatenated (libFuzzer takes one -dict).
  dict=()
  if [ "$fmt" = mapping ]; then
    mkdir -p "$BUILD/dicts"
    cat "$ROOT/fuzz/model.dict" "$ROOT/fuzz/arch.dict" >"$BUILD/dicts/mapping.dict"
    dict=(-dict="$BUILD/dicts/mapping.dict")
  elif [ -f "$ROOT/fuzz/$fmt.dict" ]; then
    dict=(-dict="$ROOT/fuzz/$fmt.dict")
  fi

  marker=$(mktemp "$BUILD/logs/.start.XXXXXX")
  start=$(date +%s.%N)
  rc=0
  # shellcheck disable=SC2086
  "$BUILD/fuzz/$t" "$corpus" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1 || rc=$?
  end=$(date +%s.%N)

  new_artifacts=$(find "$artifacts" -maxdepth 1 -type f -newer "$marker" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) | sort)
  findings=$(grep -c . <<<"$new_artifacts" || true)
  rm -f "$marker"
  execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
  # Last libFuzzer status line ("#N DONE cov: C ft: F ..." or the last one before a crash).
  statline=$(grep -E '^#[0-9]+.* cov: [0-9]+' "$log" | tail -n1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$statline")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$statline")
  [ -z "$execs" ] && execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$statline")
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  printf '{"target": "%s", "seconds": %s, "execs": %s, "coverage": %s, "features": %s, "findings": %d}\n' \
    "$t" "$secs" "${execs:-0}" "${cov:-0}" "${ft:-0}" "$findings"

  if [ "$findings" -gt 0 ]; then
    status=1
    echo "fuzz: $t: $findings new artifact(s) in $artifacts (log: $log):" >&2
    # shellcheck disable=SC2001
    sed 's/^/  /' <<<"$new_artifacts" >&2
    grep -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|invariant broken|uncaught exception|terminate called' "$log" \
      | head -n 5 >&2 || true
  elif [ "$rc" -ne 0 ]; then
    status=1
    echo "fuzz: $t exited with status $rc without an artifact; last lines of $log:" >&2
    tail -n 20 "$log" >&2
  fi
done
exit "$status"
