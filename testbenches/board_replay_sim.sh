#!/bin/sh
# CTests board_replay_sim and board_replay_core_sim: a core's port trace from the simulator, replayed into the
# simulated board.
# VARIANT tile (board_replay_sim, the default):
#  1. a 784-8-4-10 network (relu, hard_tanh, MSE; Fashion-MNIST) mapped on the default 8x8 grid, where the
#     core of layer h2 also holds the output layer (two contexts); one training sample and one test sample
#     with that core on the Verilated RTL in lockstep, writing its port trace (pcgrid train --rtl-port-trace):
#     forward passes, output error, error back-projection with the zero-skip / re-send decision, received
#     errors accumulated (sel 3), relaxation, the stochastic-rounding weight update;
#  2. scripts/board_host.py replay of that trace into the board top (scripts/board.sh's tile: core + router)
#     in Icarus through its UART (testbenches/board_host_sim.sh): every word read back must equal the
#     simulated RTL's (PASS);
#  3. the same trace with one read word changed: the replay must stop at that line (exit 1).
# VARIANT core (board_replay_core_sim):
#  1. a 784-8-8-add-10 network (leaky_relu, tanh, an add with sigmoid, softmax-CE), where the core of the output
#     layer also holds the tanh layer, the add and an input slice (four contexts); its port trace as above:
#     also tanh and sigmoid forward passes, the elementwise add (x accumulate, FWD and ERR with cmd_elem) and
#     the softmax-CE output error (SMAX);
#  2. its replay into the board's core variant (the core alone with every unit, scripts/board.sh ... core): PASS;
#  3. the same trace into the tile: board_host.py must refuse the first command the tile cannot carry out,
#     naming the unit, before sending it (exit 1).
# Usage: board_replay_sim.sh PCGRID SOURCE_DIR OUT_DIR [tile|core]
set -eu
pcgrid=$1
src=$2
out=$3
variant=${4:-tile}
mkdir -p "$out"
case $variant in
  tile)
    layer=h2
    cat > "$out/tiny.json" <<'JSON'
{"format": "pcgrid-model", "version": 1, "name": "tiny-mse",
 "description": "784-8-4-10 MSE network: the port-trace replay test (testbenches/board_replay_sim.sh)",
 "vertices": [
  {"name": "x", "op": "input", "shape": [784]},
  {"name": "h1", "op": "dense", "parents": ["x"], "units": 8, "activation": "relu"},
  {"name": "h2", "op": "dense", "parents": ["h1"], "units": 4, "activation": "hard_tanh"},
  {"name": "out", "op": "dense", "parents": ["h2"], "units": 10, "loss": "mse"}]}
JSON
    ;;
  core)
    layer=out
    cp "$src/tests/data/models/tiny_units.json" "$out/tiny.json"
    ;;
  *) echo "board_replay_sim: VARIANT must be tile or core, got '$variant'" >&2; exit 2 ;;
esac
sh "$src/testbenches/port_trace.sh" "$pcgrid" "$out/tiny.json" "$layer" "$out"
BOARD_VARIANT=$variant sh "$src/testbenches/board_host_sim.sh" "$src/rtl" "$src" "$out/sim" replay "$out/trace.jsonl"
if [ "$variant" = core ]; then
  # the trace must exercise the units the tile lacks, else step 3 proves nothing
  python3 -c "
import json, sys
c = [d['cmd'] for d in map(json.loads, open(sys.argv[1])) if d['op'] == 'cmd']
need = {'smax': any(x['op'] == 6 for x in c), 'tanh': any(x['op'] == 0 and x['act'] == 4 for x in c),
        'sigmoid': any(x['op'] == 0 and x['act'] == 5 for x in c), 'elem': any(x['elem'] for x in c)}
print('trace has', ', '.join(k for k, v in need.items() if v))
sys.exit(0 if all(need.values()) else 1)" "$out/trace.jsonl" || { echo "FAIL the trace lacks a unit the test is about"; exit 1; }
  if BOARD_VARIANT=tile sh "$src/testbenches/board_host_sim.sh" "$src/rtl" "$src" "$out/sim_tile" replay \
    "$out/trace.jsonl" > "$out/tile.txt" 2>&1; then
    echo "FAIL the tile replayed a trace that needs units it lacks"
    exit 1
  fi
  if ! grep -q "which the board's build (tile) lacks" "$out/tile.txt"; then
    echo "FAIL the tile's replay did not stop at a command it cannot carry out:"
    cat "$out/tile.txt"
    exit 1
  fi
  grep "lacks" "$out/tile.txt"
  echo "the tile refused the first command it cannot carry out"
  exit 0
fi
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
