#!/bin/sh
# CTest board_replay_sim: a core's port trace from the simulator, replayed into the simulated board.
#  1. a 784-8-4-10 network (relu, hard_tanh, MSE; Fashion-MNIST) mapped on the default 8x8 grid, where the
#     core of layer h2 also holds the output layer (two contexts); one training sample and one test sample
#     with that core on the Verilated RTL in lockstep, writing its port trace (pcgrid train --rtl-port-trace):
#     forward passes, output error, error back-projection with the zero-skip / re-send decision, received
#     errors accumulated (sel 3), relaxation, the stochastic-rounding weight update;
#  2. scripts/board_host.py replay of that trace into the board top in Icarus through its UART
#     (testbenches/board_host_sim.sh): every word read back must equal the simulated RTL's (PASS);
#  3. the same trace with one read word changed: the replay must stop at that line (exit 1).
# Usage: board_replay_sim.sh PCGRID SOURCE_DIR OUT_DIR
set -eu
pcgrid=$1
src=$2
out=$3
mkdir -p "$out"
cat > "$out/tiny.json" <<'JSON'
{"format": "pcgrid-model", "version": 1, "name": "tiny-mse",
 "description": "784-8-4-10 MSE network: the port-trace replay test (testbenches/board_replay_sim.sh)",
 "vertices": [
  {"name": "x", "op": "input", "shape": [784]},
  {"name": "h1", "op": "dense", "parents": ["x"], "units": 8, "activation": "relu"},
  {"name": "h2", "op": "dense", "parents": ["h1"], "units": 4, "activation": "hard_tanh"},
  {"name": "out", "op": "dense", "parents": ["h2"], "units": 10, "loss": "mse"}]}
JSON
"$pcgrid" map "$out/tiny.json" -o "$out/tiny.map.json" --force > /dev/null
# the core of layer h2, from the mapping file
core=$(python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))
print(','.join(map(str, next(s['core'] for s in m['slices'] if 'h2' in s['vertices']))))" "$out/tiny.map.json")
echo "layer h2 on core $core: $(python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))
print(' '.join(v for s in m['slices'] if ','.join(map(str, s['core'])) == sys.argv[2] for v in s['vertices']))" \
  "$out/tiny.map.json" "$core")"
"$pcgrid" train "$out/tiny.map.json" --engine cycle --train-samples 1 --test-samples 1 --rtl-cores "$core" \
  --vcd-core "$core" --rtl-port-trace "$out/trace.jsonl" --force > "$out/train.txt"
grep "RTL lockstep" "$out/train.txt"
echo "trace: $(wc -l < "$out/trace.jsonl") lines"
sh "$src/testbenches/board_host_sim.sh" "$src/rtl" "$src" "$out/sim" replay "$out/trace.jsonl"
# a changed word: the first read's value + 1
python3 -c "
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(lines):
    d = json.loads(l)
    if d['op'] == 'read':
        d['value'] += 1
        lines[i] = json.dumps(d)
        print(f'changed line {i + 1}', file=sys.stderr)
        break
open(sys.argv[2], 'w').write('\n'.join(lines) + '\n')" "$out/trace.jsonl" "$out/trace_bad.jsonl"
if sh "$src/testbenches/board_host_sim.sh" "$src/rtl" "$src" "$out/sim_bad" replay "$out/trace_bad.jsonl" \
  > "$out/bad.txt" 2>&1; then
  echo "FAIL a changed word in the trace was not caught"
  exit 1
fi
if ! grep -q "the board gave" "$out/bad.txt"; then
  echo "FAIL the changed word's replay did not stop at a read mismatch:"
  cat "$out/bad.txt"
  exit 1
fi
grep "the board gave" "$out/bad.txt"
echo "changed word caught"
