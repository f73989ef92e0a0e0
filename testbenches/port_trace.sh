#!/bin/sh
# A core's port trace for the replay tests (board_replay_sim.sh, trace_replay.sh): maps MODEL onto the default grid,
# finds the core that holds LAYER, runs one training and one test sample with that core on the Verilated RTL in
# lockstep and writes every operation on its command and memory port to OUT_DIR/trace.jsonl
# (pcgrid train --rtl-port-trace, docs/rtl.md). Prints the core's vertices, the lockstep line and the trace's length.
# Usage: port_trace.sh PCGRID MODEL LAYER OUT_DIR
set -eu
pcgrid=$1
model=$2
layer=$3
out=$4
mkdir -p "$out"
"$pcgrid" map "$model" -o "$out/model.map.json" --force > /dev/null
core=$(python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))
print(','.join(map(str, next(s['core'] for s in m['slices'] if sys.argv[2] in s['vertices']))))" "$out/model.map.json" "$layer")
echo "layer $layer on core $core: $(python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))
print(' '.join(v for s in m['slices'] if ','.join(map(str, s['core'])) == sys.argv[2] for v in s['vertices']))" \
  "$out/model.map.json" "$core")"
"$pcgrid" train "$out/model.map.json" --engine cycle --train-samples 1 --test-samples 1 --rtl-cores "$core" \
  --vcd-core "$core" --rtl-port-trace "$out/trace.jsonl" --force > "$out/train.txt"
grep "RTL lockstep" "$out/train.txt"
echo "trace: $(wc -l < "$out/trace.jsonl") lines"
