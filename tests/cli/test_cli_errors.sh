#!/usr/bin/env bash
# CLI error and smoke tests for pcgrid: exit codes and the text users see.
# Usage: test_cli_errors.sh PCGRID_BINARY SOURCE_DIR
# Prints each case; stops with a clear message at the first failure.
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 PCGRID_BINARY SOURCE_DIR" >&2
  exit 2
fi
PCGRID=$1
SRC=$2
ZOO=$SRC/models/zoo
DATA=/usr/share/datasets/fashion-mnist

[ -x "$PCGRID" ] || { echo "FAIL: $PCGRID is not an executable" >&2; exit 1; }
[ -d "$ZOO" ] || { echo "FAIL: $ZOO is not a directory" >&2; exit 1; }

TMP=$(mktemp -d) || { echo "FAIL: mktemp -d failed" >&2; exit 1; }
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/stdout
ERR=$TMP/stderr
RC=0
CASE=""
NCASES=0

fail() {
  echo "FAIL: $CASE: $*" >&2
  echo "----- stdout -----" >&2
  cat "$OUT" >&2
  echo "----- stderr -----" >&2
  cat "$ERR" >&2
  echo "------------------" >&2
  exit 1
}

# run NAME ARGS...: runs pcgrid with ARGS, capturing exit code, stdout and stderr.
run() {
  CASE=$1
  shift
  NCASES=$((NCASES + 1))
  echo "case $NCASES: $CASE: pcgrid $*"
  "$PCGRID" "$@" >"$OUT" 2>"$ERR"
  RC=$?
}

expect_fail() { [ "$RC" -ne 0 ] || fail "expected a non-zero exit code, got 0"; }
expect_ok() { [ "$RC" -eq 0 ] || fail "expected exit code 0, got $RC"; }
# Fixed-string searches (grep -F), so brackets and quotes in messages need no escaping.
stderr_has() { grep -qF -- "$1" "$ERR" || fail "stderr does not contain: $1"; }
stdout_has() { grep -qF -- "$1" "$OUT" || fail "stdout does not contain: $1"; }

# --- bad invocations -------------------------------------------------------------------------------
run "no subcommand"
expect_fail
stderr_has "subcommand is required"

run "unknown subcommand" frobnicate
expect_fail
grep -qiF "subcommand" "$ERR" || fail "stderr does not mention the subcommand"

run "inspect without a model" inspect
expect_fail
stderr_has "MODEL is required"

run "inspect a missing file" inspect "$TMP/no-such-model.json"
expect_fail
stderr_has "pcgrid: error: $TMP/no-such-model.json: cannot open model file"

# --- malformed models ------------------------------------------------------------------------------
printf '{\n  "format": "pcgrid-model",\n  "version": 1,\n  "vertices": [ ,\n]}\n' >"$TMP/syntax.json"
run "inspect a model with a JSON syntax error" inspect "$TMP/syntax.json"
expect_fail
stderr_has "pcgrid: error: $TMP/syntax.json: line 4, column 17: invalid JSON"

cat >"$TMP/badop.json" <<'JSON'
{"format": "pcgrid-model", "version": 1, "vertices": [
  {"name": "x", "op": "input", "shape": [784]},
  {"name": "h", "op": "lstm", "parents": ["x"]}
]}
JSON
run "inspect a model with an unknown op" inspect "$TMP/badop.json"
expect_fail
stderr_has "$TMP/badop.json: vertices[1] (vertex 'h'): unknown op 'lstm'"

cat >"$TMP/cycle.json" <<'JSON'
{"format": "pcgrid-model", "version": 1, "vertices": [
  {"name": "x", "op": "input", "shape": [4]},
  {"name": "a", "op": "add", "parents": ["x", "c"]},
  {"name": "b", "op": "activation", "activation": "tanh", "parents": ["a"]},
  {"name": "c", "op": "activation", "activation": "tanh", "parents": ["b"]},
  {"name": "out", "op": "dense", "parents": ["c"], "units": 10, "loss": "mse"}
]}
JSON
run "inspect a model with a cycle" inspect "$TMP/cycle.json"
expect_fail
stderr_has "the graph has a cycle: b -> c -> a -> b"

printf '[1, 2, 3]\n' >"$TMP/array.json"
run "inspect a model whose top level is not an object" inspect "$TMP/array.json"
expect_fail
stderr_has "top level: expected a JSON object, got array"

# --- train: data and model/data mismatch -----------------------------------------------------------
mkdir "$TMP/empty-data"
run "train with --data pointing to an empty directory" train "$ZOO/mlp_fmnist.json" --data "$TMP/empty-data"
expect_fail
stderr_has "$TMP/empty-data/train-images-idx3-ubyte"
stderr_has "dataset-fashion-mnist"

cat >"$TMP/in100.json" <<'JSON'
{"format": "pcgrid-model", "version": 1, "vertices": [
  {"name": "x", "op": "input", "shape": [100]},
  {"name": "out", "op": "dense", "parents": ["x"], "units": 10, "loss": "softmax_ce"}
]}
JSON
if [ -e "$DATA/train-images-idx3-ubyte.gz" ] || [ -e "$DATA/train-images-idx3-ubyte" ]; then
  run "train a model whose input is not 784 elements" train "$TMP/in100.json" --train-samples 10 --test-samples 10
  expect_fail
  stderr_has "input vertex 'x' has 100 elements"
  stderr_has "28x28 = 784 pixels"
else
  echo "skip: train a model whose input is not 784 elements (no Fashion-MNIST in $DATA)"
fi

# --- train: bad options (checked before any data is read) ------------------------------------------
run "train --epochs 0" train "$ZOO/mlp_fmnist.json" --epochs 0
expect_fail
stderr_has "--epochs"

run "train --engine nonsense" train "$ZOO/mlp_fmnist.json" --engine nonsense
expect_fail
stderr_has "--engine"
stderr_has "nonsense"

# --- success paths ---------------------------------------------------------------------------------
run "--version" --version
expect_ok
grep -qE '^pcgrid [0-9]+\.[0-9]+' "$OUT" || fail "stdout is not 'pcgrid X.Y...'"

run "--help" --help
expect_ok
stdout_has "inspect"
stdout_has "train"

run "inspect (table)" inspect "$ZOO/mlp_fmnist.json"
expect_ok
grep -qE '^[0-9]+ vertices, [0-9]+ parameters, [0-9]+ MACs per forward pass$' "$OUT" || fail "no summary line"

run "inspect --json" inspect --json "$ZOO/cnn_fmnist.json"
expect_ok
python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT" || fail "inspect --json did not print valid JSON"
python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["model"] == "cnn-fmnist", j["model"]
assert isinstance(j["forward_macs"], int) and j["forward_macs"] > 0
shapes = {v["name"]: v["shape"] for v in j["vertices"]}
assert shapes["c1"] == [8, 14, 14] and shapes["c2"] == [16, 7, 7], shapes
' <"$OUT" || fail "inspect --json output lacks the expected content"

for f in "$ZOO"/*.json; do
  run "inspect zoo model $(basename "$f")" inspect "$f"
  expect_ok
  stdout_has "[output, loss softmax_ce]"
done

# --- map -------------------------------------------------------------------------------------------
MAPPING=$TMP/mlp.mapping.json
run "map writes the mapping file and the SVG" map "$ZOO/mlp_fmnist.json" --arch "$SRC/arch/default.json" -o "$MAPPING"
expect_ok
[ -s "$MAPPING" ] || fail "no mapping file $MAPPING"
[ -s "$TMP/mlp.mapping.svg" ] || fail "no SVG $TMP/mlp.mapping.svg next to the mapping file"
python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["format"] == "pcgrid-mapping" and j["version"] == 1, (j.get("format"), j.get("version"))
assert len(j["slices"]) > 0 and len(j["flows"]) > 0
assert isinstance(j["stats"]["flit_hops_per_step"], int)
' <"$MAPPING" || fail "the mapping file is not valid mapping JSON"
[ "$(head -c 4 "$TMP/mlp.mapping.svg")" = "<svg" ] || fail "the SVG does not start with <svg"
stdout_has "wrote $MAPPING and $TMP/mlp.mapping.svg"

run "map --json" map "$ZOO/cnn_fmnist.json" --arch "$SRC/arch/damaged_8x8.json" --strategy greedy -o "$TMP/cnn.json" \
  --svg "$TMP/cnn-picture.svg" --json
expect_ok
python3 -c '
import json, sys
j = json.load(sys.stdin)
assert isinstance(j["flit_hops_per_step"], int) and j["flit_hops_per_step"] > 0, j.get("flit_hops_per_step")
assert j["mapping_file"] == sys.argv[1] and j["svg_file"] == sys.argv[2], (j["mapping_file"], j["svg_file"])
assert j["strategy"] == "greedy"
' "$TMP/cnn.json" "$TMP/cnn-picture.svg" <"$OUT" || fail "map --json did not print the expected JSON"
[ -s "$TMP/cnn.json" ] && [ -s "$TMP/cnn-picture.svg" ] || fail "map --json did not write both files"

BEFORE=$(cksum <"$MAPPING")
run "map onto an existing file without --force" map "$ZOO/rnn_fmnist.json" -o "$MAPPING"
expect_fail
stderr_has "$MAPPING: already exists"
stderr_has "--force"
[ "$(cksum <"$MAPPING")" = "$BEFORE" ] || fail "the existing mapping file was changed"

run "map onto an existing file with --force" map "$ZOO/rnn_fmnist.json" -o "$MAPPING" --force
expect_ok
[ "$(cksum <"$MAPPING")" != "$BEFORE" ] || fail "--force did not replace the mapping file"

run "map with a missing architecture file" map "$ZOO/mlp_fmnist.json" --arch "$TMP/no-such-arch.json" -o "$TMP/m1.json"
expect_fail
stderr_has "pcgrid: error: $TMP/no-such-arch.json: cannot open architecture file"

printf '{"format": "pcgrid-arch", "version": 1, "grid": {"width": "big"}}\n' >"$TMP/bad-arch.json"
run "map with a malformed architecture file" map "$ZOO/mlp_fmnist.json" --arch "$TMP/bad-arch.json" -o "$TMP/m1.json"
expect_fail
stderr_has "$TMP/bad-arch.json: key 'grid.width'"

printf '{"format": "pcgrid-arch", "version": 1, "core": {"sram_wrods": 512}}\n' >"$TMP/typo-arch.json"
run "map with an unknown architecture key" map "$ZOO/mlp_fmnist.json" --arch "$TMP/typo-arch.json" -o "$TMP/m1.json"
expect_fail
stderr_has "$TMP/typo-arch.json: key 'core.sram_wrods': unknown key"

run "map --strategy nonsense" map "$ZOO/mlp_fmnist.json" --strategy zigzag -o "$TMP/m1.json"
expect_fail
stderr_has "unknown placement strategy 'zigzag'"
stderr_has "anneal, greedy, rowmajor"

run "map a model that does not fit the grid" map "$ZOO/mlp_fmnist.json" --arch "$SRC/arch/small_4x4.json" -o "$TMP/m1.json"
expect_fail
stderr_has "no usable core has room"
stderr_has "smallest square grid"
stderr_has "is 5x5"
[ ! -e "$TMP/m1.json" ] || fail "a failed map left $TMP/m1.json behind"

run "map --help lists the strategies" map --help
expect_ok
stdout_has "rowmajor"
stdout_has "greedy"
stdout_has "anneal"

# Writing to a device must not replace it (a rename over /dev/null once turned it into a regular file).
run "map to /dev/null writes in place and no /dev/null.svg" map "$ZOO/gated_fmnist.json" -o /dev/null --force
expect_ok
[ -c /dev/null ] || fail "/dev/null is no longer a character device"
[ ! -e /dev/null.svg ] || fail "map wrote /dev/null.svg"

echo "user data" >"$TMP/keep.json.tmp"
run "map leaves a user's OUT.tmp alone" map "$ZOO/gated_fmnist.json" -o "$TMP/keep.json"
expect_ok
[ "$(cat "$TMP/keep.json.tmp")" = "user data" ] || fail "map changed the user's keep.json.tmp"

run "map to a directory" map "$ZOO/gated_fmnist.json" -o "$TMP"
expect_fail
stderr_has "$TMP: is a directory"

printf '{"format": "pcgrid-arch", "version": 1, "grid": {"width": 256, "height": 256}, "dead_routers": [[1, 0]]}\n' >"$TMP/big-damaged.json"
run "map onto a damaged grid too large for routing tables" map "$ZOO/gated_fmnist.json" --arch "$TMP/big-damaged.json" -o "$TMP/m2.json"
expect_fail
stderr_has "pcgrid: error: a 256x256 mesh with dead routers or links needs table routing, which pcgrid supports up to 4096 routers (64x64)"
[ ! -e "$TMP/m2.json" ] || fail "a failed map left $TMP/m2.json behind"

# --- train on the chip: fixed-point engines on a mapping file ----------------------------------------
SMALL=$TMP/small.json
cat >"$SMALL" <<'JSON'
{"format": "pcgrid-model", "version": 1, "name": "small", "vertices": [
  {"name": "x", "op": "input", "shape": [784]},
  {"name": "h", "op": "dense", "parents": ["x"], "units": 16, "activation": "relu"},
  {"name": "out", "op": "dense", "parents": ["h"], "units": 10, "loss": "softmax_ce"}
]}
JSON
run "map a small model for the chip" map "$SMALL" -o "$TMP/small.map.json"
expect_ok
SMAP=$TMP/small.map.json

run "train --engine functional with a rate that is not a power of two" train "$SMAP" --engine functional --lr 0.01
expect_fail
stderr_has "pcgrid: error: --lr 0.01: the fixed-point engines apply rates as right shifts; give a power of two between 2^-15 and 1, e.g. 0.0078125 (2^-7)"

run "train --engine cycle with --eta-v 0.3" train "$SMAP" --engine cycle --eta-v 0.3
expect_fail
stderr_has "pcgrid: error: --eta-v 0.3: the fixed-point engines apply rates as right shifts"

run "train --engine functional --optimizer adam" train "$SMAP" --engine functional --optimizer adam
expect_fail
stderr_has "pcgrid: error: --optimizer adam: the fixed-point engines learn with per-sample SGD only"

run "train --engine functional --batch 64" train "$SMAP" --engine functional --batch 64
expect_fail
stderr_has "pcgrid: error: --batch: the fixed-point engines update weights after every sample (batch 1)"

run "train --engine functional on a model file instead of a mapping" train "$ZOO/mlp_fmnist.json" --engine functional
expect_fail
stderr_has "pcgrid: error: $ZOO/mlp_fmnist.json: not a pcgrid mapping file ('format' must be \"pcgrid-mapping\")"

run "map the CNN for the chip" map "$ZOO/cnn_fmnist.json" -o "$TMP/cnn.map.json"
expect_ok
run "train --engine functional on a conv2d mapping" train "$TMP/cnn.map.json" --engine functional
expect_fail
stderr_has "pcgrid: error: $TMP/cnn.map.json: vertex 'c1': conv2d is not supported by the fixed-point engines yet (the reference engines support it)"

run "train --svg with the reference engine" train "$SMALL" --svg "$TMP/x.svg"
expect_fail
stderr_has "pcgrid: error: --svg needs --engine functional or cycle"

run "train --vcd with the functional engine" train "$SMAP" --engine functional --vcd "$TMP/t.vcd"
expect_fail
stderr_has "pcgrid: error: --vcd needs --engine cycle (the functional engine has no time)"
[ ! -e "$TMP/t.vcd" ] || fail "a refused run wrote $TMP/t.vcd"

run "train --vcd-cycles malformed" train "$SMAP" --engine cycle --vcd "$TMP/t.vcd" --vcd-cycles 100
expect_fail
stderr_has "pcgrid: error: --vcd-cycles '100': expected FROM:TO, two cycle numbers"

run "train --rtl-cores outside the grid" train "$SMAP" --engine cycle --rtl-cores 9,9
expect_fail
stderr_has "pcgrid: error: --rtl-cores '9,9': expected 'all' or X,Y of a core inside the 8x8 grid"

run "train --rtl-cores with the functional engine" train "$SMAP" --engine functional --rtl-cores all
expect_fail
stderr_has "pcgrid: error: --rtl-cores/--rtl-routers need --engine cycle"

run "train --rtl-vcd without RTL cores" train "$SMAP" --engine cycle --rtl-vcd "$TMP/r.vcd"
expect_fail
stderr_has "pcgrid: error: --rtl-vcd/--rtl-port-trace/--rtl-mutant/--rtl-netlist/--rtl-power-up need --rtl-cores or --rtl-routers"

run "train --rtl-netlist without RTL cores" train "$SMAP" --engine cycle --rtl-netlist
expect_fail
stderr_has "pcgrid: error: --rtl-vcd/--rtl-port-trace/--rtl-mutant/--rtl-netlist/--rtl-power-up need --rtl-cores or --rtl-routers"

run "train --rtl-power-up without RTL models" train "$SMAP" --engine cycle --rtl-power-up 3
expect_fail
stderr_has "pcgrid: error: --rtl-vcd/--rtl-port-trace/--rtl-mutant/--rtl-netlist/--rtl-power-up need --rtl-cores or --rtl-routers"

run "train --rtl-power-up negative" train "$SMAP" --engine cycle --rtl-cores all --rtl-power-up -1
expect_fail
stderr_has "--rtl-power-up"

run "train --rtl-netlist with --rtl-mutant" train "$SMAP" --engine cycle --rtl-cores all --rtl-netlist --rtl-mutant
expect_fail
stderr_has "pcgrid: error: --rtl-mutant and --rtl-netlist: choose one (the mutant is an RTL core, not a netlist)"

run "train --rtl-netlist with the reference engine" train "$SMALL" --rtl-netlist
expect_fail
stderr_has "pcgrid: error: --rtl-netlist needs --engine functional or cycle"

run "train --rtl-port-trace of a core not on the RTL" train "$SMAP" --engine cycle --train-samples 1 --test-samples 1 \
  --rtl-cores 0,0 --vcd-core 1,1 --rtl-port-trace "$TMP/p.jsonl"
expect_fail
stderr_has "pcgrid: error: --rtl-port-trace: core (1,1) runs no RTL core"
[ ! -e "$TMP/p.jsonl" ] || fail "a refused run wrote $TMP/p.jsonl"

run "train --rtl-vcd of --vcd-core all" train "$SMAP" --engine cycle --train-samples 1 --test-samples 1 \
  --rtl-cores all --vcd-core all --rtl-vcd "$TMP/all.vcd"
expect_fail
stderr_has "pcgrid: error: --vcd-core 'all': expected one core X,Y (a trace follows one core)"
[ ! -e "$TMP/all.vcd" ] || fail "a refused run wrote $TMP/all.vcd"

echo keep >"$TMP/p2.jsonl"
run "train --rtl-port-trace onto an existing file" train "$SMAP" --engine cycle --rtl-cores 0,0 --vcd-core 0,0 \
  --rtl-port-trace "$TMP/p2.jsonl"
expect_fail
stderr_has "pcgrid: error: $TMP/p2.jsonl: already exists; pass --force to overwrite it"
[ "$(cat "$TMP/p2.jsonl")" = keep ] || fail "a refused run changed $TMP/p2.jsonl"

run "train --rtl-cores 0,0: the softmax output core runs on the RTL" train "$SMAP" --engine cycle --train-samples 2 \
  --test-samples 2 --rtl-cores 0,0
expect_ok
stdout_has "1 cores, 0 routers on the Verilated RTL: 0 mismatches"

# an add of three parents: the RTL core adds a second parent's words into the first's as they arrive
# (sat16 each time), which is the spec's sum for two parents only
sed 's/"parents": \["h"\], "units": 10/"parents": ["a"], "units": 10/; s/  {"name": "out"/  {"name": "g", "op": "activation", "parents": ["h"], "activation": "sigmoid"},\n  {"name": "t", "op": "activation", "parents": ["h"], "activation": "tanh"},\n  {"name": "a", "op": "add", "parents": ["h", "g", "t"]},\n  {"name": "out"/' \
  "$SMALL" >"$TMP/small_act.json"
run "map the small model with an add of three parents" map "$TMP/small_act.json" -o "$TMP/small_act.map.json"
expect_ok
run "train --rtl-cores naming a core the RTL cannot run" train "$TMP/small_act.map.json" --engine cycle \
  --train-samples 2 --test-samples 2 --rtl-cores 0,0
expect_fail
stderr_has "core (0,0), vertex 'a' (slice 7): the RTL core adds at most 2 parents, this add has 3; leave this core on the SystemC model"

run "train --vcd-core outside the grid" train "$SMAP" --engine cycle --vcd "$TMP/t.vcd" --vcd-core 9,9
expect_fail
stderr_has "pcgrid: error: --vcd-core '9,9': expected X,Y of a core inside the 8x8 grid"

run "train --load-checkpoint missing" train "$SMAP" --engine functional --load-checkpoint "$TMP/none.ckpt.json"
expect_fail
stderr_has "pcgrid: error: $TMP/none.ckpt.json: cannot open checkpoint file"

echo "user checkpoint" >"$TMP/keep.ckpt.json"
run "train --save-checkpoint onto an existing file" train "$SMAP" --engine functional --save-checkpoint "$TMP/keep.ckpt.json"
expect_fail
stderr_has "pcgrid: error: $TMP/keep.ckpt.json: already exists; pass --force to overwrite it"
[ "$(cat "$TMP/keep.ckpt.json")" = "user checkpoint" ] || fail "the user's checkpoint file was changed"

if [ -e "$DATA/train-images-idx3-ubyte.gz" ] || [ -e "$DATA/train-images-idx3-ubyte" ]; then
  run "train on the cycle-level grid, checkpoint, SVG and VCD" train "$SMAP" --engine cycle --train-samples 20 \
    --test-samples 10 --save-checkpoint "$TMP/s.ckpt.json" --svg "$TMP/s.svg" --vcd "$TMP/s.vcd" --vcd-core 1,0 --json
  expect_ok
  python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["engine"] == "cycle" and j["train_samples"] == 20 and j["test_samples"] == 10, j
for k in ("cycles_per_train_sample", "cycles_per_inference", "mac_utilisation", "energy_uj_per_train_sample",
          "flit_hops_per_train_sample", "peak_link_load", "test_acc"):
    assert isinstance(j[k], (int, float)) and j[k] >= 0, k
assert j["cycles_per_train_sample"] > 0 and 0 < j["mac_utilisation"] <= 1
' <"$OUT" || fail "train --engine cycle --json lacks the expected figures"
  [ "$(head -c 4 "$TMP/s.svg")" = "<svg" ] || fail "no SVG heat map"
  grep -q '^\$enddefinitions' "$TMP/s.vcd" || fail "no VCD header"
  grep -q 'core_busy' "$TMP/s.vcd" || fail "the VCD does not trace the core"
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["format"]=="pcgrid-checkpoint"' "$TMP/s.ckpt.json" \
    || fail "no checkpoint"

  run "continue functionally from the cycle-level checkpoint" train "$SMAP" --engine functional --train-samples 20 \
    --test-samples 10 --load-checkpoint "$TMP/s.ckpt.json"
  expect_ok
  stdout_has "test accuracy"
else
  echo "skip: train on the chip (no Fashion-MNIST in $DATA)"
fi

# --- faults and damage -------------------------------------------------------------------------------
printf '{"format": "pcgrid-faults", "version": 1, "faults": [{"kind": "dead_core", "cores": [[9, 9]]}]}\n' >"$TMP/f-out.json"
run "train --faults with a core outside the grid" train "$SMAP" --engine functional --faults "$TMP/f-out.json"
expect_fail
stderr_has "pcgrid: error: $TMP/f-out.json: key 'faults[0].cores[0]': core [9, 9] is outside the 8x8 grid"

printf '{"format": "pcgrid-faults", "version": 1, "faults": [{"kind": "dead_core", "at_cycle": 100, "cores": [[1, 1]]}]}\n' >"$TMP/f-cyc.json"
run "train --faults at a cycle with the functional engine" train "$SMAP" --engine functional --faults "$TMP/f-cyc.json"
expect_fail
stderr_has "pcgrid: error: $TMP/f-cyc.json: a fault at a cycle needs --engine cycle (the functional engine has no time)"

run "train --faults missing file" train "$SMAP" --engine functional --faults "$TMP/none.json"
expect_fail
stderr_has "pcgrid: error: $TMP/none.json: cannot open fault file"

run "damage --levels bad" damage "$SMAP" --levels 10,lots -o "$TMP/dmg"
expect_fail
stderr_has "pcgrid: error: --levels: 'lots' is not a percentage 0..100 or 'half'"

run "damage --recovery bad" damage "$SMAP" --recovery pray -o "$TMP/dmg"
expect_fail
stderr_has "pcgrid: error: --recovery: unknown mode 'pray' (expected none, retrain, remap)"

if [ -e "$DATA/train-images-idx3-ubyte.gz" ] || [ -e "$DATA/train-images-idx3-ubyte" ]; then
  printf '{"format": "pcgrid-faults", "version": 1, "seed": 4, "faults": [
    {"kind": "dead_core", "at_cycle": 30000, "select": {"fraction_of_used": 0.5}, "router": "dead"},
    {"kind": "flit_drop", "at_sample": 3, "rate": 0.001}]}\n' >"$TMP/f-mid.json"
  run "train on the cycle-level grid while half the cores die mid-run" train "$SMAP" --engine cycle \
    --train-samples 20 --test-samples 10 --faults "$TMP/f-mid.json" --json
  expect_ok
  python3 -c '
import json, sys
j = json.load(sys.stdin)
f = j["faults"]
assert f["dead_slices"] > 0 and f["lost_outputs"] >= 0, f
' <"$OUT" || fail "the fault counters are missing"

  run "damage sweep, small budget" damage "$SMAP" --pretrain-samples 300 --retrain-samples 100 --test-samples 50 \
    --levels 0,25,half -o "$TMP/dmg" --json
  expect_ok
  [ "$(wc -l <"$TMP/dmg/damage.csv")" -eq 10 ] || fail "damage.csv should have a header and 3 levels x 3 modes"
  [ "$(head -c 4 "$TMP/dmg/damage.svg")" = "<svg" ] || fail "no damage plot"
  [ -s "$TMP/dmg/grid-25-damaged.svg" ] && [ -s "$TMP/dmg/grid-half-remapped.svg" ] || fail "no grid pictures"

  run "damage refuses to overwrite its outputs" damage "$SMAP" --pretrain-samples 300 --test-samples 50 \
    -o "$TMP/dmg"
  expect_fail
  stderr_has "damage.csv: already exists; pass --force to overwrite it"
else
  echo "skip: faults and damage runs (no Fashion-MNIST in $DATA)"
fi

# --- synth: bad input is refused before any tool runs ------------------------------------------------
run "synth --target unknown" synth --target ecp5 --rtl "$SRC/rtl" --out "$TMP/syn"
expect_fail
stderr_has "--target"
stderr_has "ecp5"

run "synth --seeds 0" synth --seeds 0 --rtl "$SRC/rtl" --out "$TMP/syn"
expect_fail
stderr_has "--seeds"

run "synth --rtl missing directory" synth --rtl "$TMP/no-rtl" --out "$TMP/syn"
expect_fail
stderr_has "pcgrid: error: --rtl $TMP/no-rtl: no such directory"

mkdir -p "$TMP/empty-rtl"
run "synth --rtl without the RTL files" synth --rtl "$TMP/empty-rtl" --out "$TMP/syn"
expect_fail
stderr_has "pcgrid: error: $TMP/empty-rtl/pcg_top.sv: missing"

mkdir -p "$TMP/syn-full"
echo "user file" >"$TMP/syn-full/keep.txt"
run "synth into an existing non-empty --out without --force" synth --rtl "$SRC/rtl" --out "$TMP/syn-full"
expect_fail
stderr_has "pcgrid: error: --out $TMP/syn-full: exists and is not empty; pass --force"
[ "$(cat "$TMP/syn-full/keep.txt")" = "user file" ] || fail "the user's file in --out was changed"
[ "$(ls "$TMP/syn-full")" = "keep.txt" ] || fail "a refused synth wrote into $TMP/syn-full"

run "synth --param malformed" synth --rtl "$SRC/rtl" --out "$TMP/syn" --param SRAM_WORDS=lots
expect_fail
stderr_has "pcgrid: error: --param 'SRAM_WORDS=lots': expected NAME=VALUE with an integer VALUE"

run "synth --param unknown" synth --rtl "$SRC/rtl" --out "$TMP/syn" --param SRAM_WRODS=4096
expect_fail
stderr_has "pcgrid: error: --param SRAM_WRODS: pcg_top has no parameter SRAM_WRODS (it has MY_X, MY_Y,"

run "synth --param a bit parameter out of range" synth --rtl "$SRC/rtl" --out "$TMP/syn" --param SMAX=2
expect_fail
stderr_has "pcgrid: error: --param SMAX=2: expected an integer in 0..1 (a bit parameter)"
[ ! -e "$TMP/syn" ] || fail "a refused synth created $TMP/syn"

run "synth --param ACTS out of range" synth --rtl "$SRC/rtl" --out "$TMP/syn" --param ACTS=2
expect_fail
stderr_has "pcgrid: error: --param ACTS=2: expected an integer in 0..1 (a bit parameter)"
[ ! -e "$TMP/syn" ] || fail "a refused synth created $TMP/syn"

run "synth --param ELEM out of range" synth --rtl "$SRC/rtl" --out "$TMP/syn" --param ELEM=-1
expect_fail
stderr_has "pcgrid: error: --param ELEM=-1: expected an integer in 0..1 (a bit parameter)"
[ ! -e "$TMP/syn" ] || fail "a refused synth created $TMP/syn"

run "synth --param a memory size that is not a power of two" synth --rtl "$SRC/rtl" --out "$TMP/syn" --param XWORDS=1000
expect_fail
stderr_has "pcgrid: error: --param XWORDS=1000: expected a power of two in 2..65536"

run "synth --param more slots than the softmax unit holds" synth --rtl "$SRC/rtl" --out "$TMP/syn" --param SLOTS=512
expect_fail
stderr_has "pcgrid: error: --param SLOTS=512: the softmax unit (SMAX=1) is built for at most 256 slots; pass --param SMAX=0"

mkdir -p "$TMP/nobin"
PATH=$TMP/nobin run "synth without the FPGA tools on PATH" synth --rtl "$SRC/rtl" --out "$TMP/syn"
expect_fail
stderr_has "yosys (Debian package yosys)"
stderr_has "icepack (Debian package fpga-icestorm)"
stderr_has "./scripts/setup.sh"
[ ! -e "$TMP/syn" ] || fail "synth without tools created $TMP/syn"

# --- synth end to end on the smallest top (the host port alone: ~2 s), figures and worst path --------
run "synth of the host port alone, one seed, JSON" synth --rtl "$SRC/rtl" --out "$TMP/syn-host" --seeds 1 \
  --param WITH_CORE=0 --param WITH_ROUTER=0 --json
expect_ok
python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["fits"] is True, j["fits"]
assert len(j["fmax_mhz"]) == 1 and j["fmax_mhz"][0] > 0, j["fmax_mhz"]
assert j["resources"]["lc"]["used"] > 0 and j["resources"]["bram"]["used"] == 0, j["resources"]
(c,) = j["critical_paths"]
f = j["fmax_mhz"][0]
assert abs(c["period_ns"] - 1000.0 / f) < 0.01 * c["period_ns"], (c["period_ns"], f)
assert abs(c["logic_ns"] + c["routing_ns"] - c["period_ns"]) < 1e-6, c
assert c["luts"] >= 1 and c["signals"] and c["end"], c
assert 0 < c["longest_net"]["ns"] <= c["routing_ns"], c
assert "router_xy" not in j, j.get("router_xy")  # no router in this top, so no position
' <"$OUT" || fail "the JSON of synth lacks the figures or the worst path"
[ -s "$TMP/syn-host/pcg_top.bin" ] || fail "synth wrote no bitstream"
[ -s "$TMP/syn-host/report_seed1.json" ] || fail "synth kept no nextpnr report"

run "synth --help lists the targets" synth --help
expect_ok
stdout_has "up5k"
stdout_has "hx8k"

echo "all $NCASES CLI cases passed"
exit 0
