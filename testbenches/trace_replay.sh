#!/bin/sh
# CTest rtl_trace_replay: a core's port trace from the lockstep run, replayed through pcg_top's pins into the RTL
# and into the netlist Yosys makes of it. The RTL smoke and gate-level tests run one forward pass; this runs a
# training step of a core with every unit on the netlist, as it would go on the FPGA (the board's core build).
#  1. the output core of tests/data/models/tiny_units.json (a tanh layer, an elementwise add with sigmoid and the
#     softmax-CE output layer, and an input slice: four contexts) on the Verilated RTL in lockstep for one
#     training and one test sample, writing its port trace (pcgrid train --rtl-port-trace): forward passes,
#     SMAX, the δ pass and back-projection, the elementwise FWD/ERR, relaxation, the stochastic-rounding update;
#  2. the trace as vectors (testbenches/trace_vectors.py) replayed by testbenches/trace_replay_tb.sv into
#     pcg_top (WITH_ROUTER = 0, ACTS = 1, ELEM = 1, the softmax unit) in Icarus: every word read back, every
#     command's busy cycles, cmd_err and err_zero equal to the lockstep's (4-state RTL simulation);
#  3. the same into Yosys's netlist of that pcg_top (synth_ice40 -dsp -spram as pcgrid synth, block RAMs
#     zeroed as the bitstream loads them) with Yosys's iCE40 cell models, compiled by Verilator (Icarus runs this
#     netlist at some 30 cycles per second; Verilator's model is 2-state: x-propagation is the Icarus
#     gate-level smoke tests' part);
#  4. two changed vector files, a word read back and a command's cycle count each off by one: both replays
#     must stop at them;
#  5. the netlist again from a random power-up state of what the chip leaves undefined (SPRAM contents, DSP
#     registers; Verilator's +verilator+rand+reset+2, seeds 1 and 2): equal too.
# Usage: trace_replay.sh PCGRID SOURCE_DIR OUT_DIR
set -eu
pcgrid=$1
src=$2
out=$3
rtl=$src/rtl
mkdir -p "$out"
sh "$src/testbenches/port_trace.sh" "$pcgrid" "$src/tests/data/models/tiny_units.json" out "$out"
python3 "$src/testbenches/trace_vectors.py" "$out/trace.jsonl" "$out/vec.txt"
# the changed vectors: the first read's word + 1; the first command with busy cycles, its count + 1
python3 -c "
import sys
lines = open(sys.argv[1]).read().splitlines()
def change(kind, pos, name):
    out = list(lines)
    for i, l in enumerate(out):
        f = l.split()
        if f[0] == kind and (kind == 'R' or int(f[pos]) > 0):
            f[pos] = format((int(f[pos], 16) + 1) & 0xFFFF, '04x') if kind == 'R' else str(int(f[pos]) + 1)
            out[i] = ' '.join(f)
            open(sys.argv[2] + name, 'w').write('\n'.join(out) + '\n')
            print(f'{name}: line {i + 1} changed')
            return
    sys.exit(f'no {kind} line to change')
change('R', 3, '_word.txt')
change('C', 4, '_cycles.txt')" "$out/vec.txt" "$out/vec"

# replay VVP_OR_BINARY NAME: the three vector files; PASS on the real one, a stop at each changed one
replay() {
  run=$1
  name=$2
  $run +vectors="$out/vec.txt" > "$out/$name.txt" 2>&1 || true
  if ! grep -q "^PASS" "$out/$name.txt"; then
    grep -v "^PASS" "$out/$name.txt"
    echo "FAIL the $name replay of the trace"
    exit 1
  fi
  echo "$name: $(grep "^replayed" "$out/$name.txt")"
  for m in word cycles; do
    $run +vectors="$out/vec_$m.txt" > "$out/${name}_$m.txt" 2>&1 || true
    if grep -q "^PASS" "$out/${name}_$m.txt" || ! grep -q "the lockstep's RTL" "$out/${name}_$m.txt"; then
      cat "$out/${name}_$m.txt"
      echo "FAIL the $name replay did not stop at the changed $m"
      exit 1
    fi
    echo "$name, changed $m: stopped ($(grep "the lockstep's RTL" "$out/${name}_$m.txt" | sed 's/^FAIL //'))"
  done
}

iverilog -g2012 -o "$out/rtl.vvp" "$src/testbenches/trace_replay_tb.sv" "$rtl/pcg_sdp_ram.sv" "$rtl/pcg_core.sv" \
  "$rtl/pcg_softmax.sv" "$rtl/pcg_act.sv" "$rtl/pcg_router.sv" "$rtl/pcg_top.sv" 2> "$out/iverilog.log" ||
  { grep -v 'sorry: constant selects' "$out/iverilog.log" >&2; echo "trace_replay: iverilog failed" >&2; exit 1; }
replay "vvp -n $out/rtl.vvp" rtl

files="$rtl/pcg_sdp_ram.sv $rtl/pcg_core.sv $rtl/pcg_softmax.sv $rtl/pcg_act.sv $rtl/pcg_router.sv $rtl/pcg_top.sv"
yosys -q -l "$out/yosys.log" -p "read_verilog -sv $files; chparam -set WITH_ROUTER 0 -set ACTS 1 -set ELEM 1 pcg_top;
  synth_ice40 -top pcg_top -dsp -spram; setundef -zero -params; write_verilog -noattr $out/gates.v" > /dev/null 2>&1 ||
  { tail -5 "$out/yosys.log" >&2; echo "trace_replay: yosys failed" >&2; exit 1; }
echo "netlist: $(grep -c 'SB_LUT4 ' "$out/gates.v") SB_LUT4, $(grep -c 'SB_MAC16 ' "$out/gates.v") SB_MAC16, $(grep -c 'SB_RAM40_4K ' "$out/gates.v") SB_RAM40_4K, $(grep -c 'SB_SPRAM256KA ' "$out/gates.v") SB_SPRAM256KA"
datdir=$(dirname "$(command -v yosys)")/../share/yosys
# -Wno-fatal: the netlist's bit-blasted nets give UNOPTFLAT and width notices (in verilator.log); none is an error
verilator --binary --timing -j 2 -Wno-fatal -Wno-lint -Wno-style -DGATE_LEVEL -DNO_ICE40_DEFAULT_ASSIGNMENTS \
  --top-module trace_replay_tb -Mdir "$out/obj_gates" "$src/testbenches/trace_replay_tb.sv" "$out/gates.v" \
  "$datdir/ice40/cells_sim.v" > "$out/verilator.log" 2>&1 ||
  { grep -i error "$out/verilator.log" | head -20 >&2; echo "trace_replay: verilator failed (log $out/verilator.log)" >&2; exit 1; }
replay "$out/obj_gates/Vtrace_replay_tb" netlist
# The chip's SPRAM holds no defined data at power-up (the bitstream does not load it): the netlist again with every
# state the cell models leave uninitialised (the SPRAMs' words, the DSPs' registers) random, two seeds. Flip-flops
# start at 0 and block RAMs at their zeroed INIT, as on the chip. That the randomisation is live: a weight word
# never written reads back non-zero (0 only with probability 2^-16 per netlist).
for seed in 1 2; do
  "$out/obj_gates/Vtrace_replay_tb" +vectors="$out/vec.txt" +verilator+rand+reset+2 +verilator+seed+$seed \
    > "$out/netlist_rand$seed.txt" 2>&1 || true
  if ! grep -q "^PASS" "$out/netlist_rand$seed.txt"; then
    grep -v "^PASS" "$out/netlist_rand$seed.txt"
    echo "FAIL the netlist replay with random power-up state (seed $seed)"
    exit 1
  fi
done
echo "R 0 3fff 0000" > "$out/vec_unwritten.txt"
"$out/obj_gates/Vtrace_replay_tb" +vectors="$out/vec_unwritten.txt" +verilator+rand+reset+2 +verilator+seed+1 \
  > "$out/netlist_unwritten.txt" 2>&1 || true
if ! grep -q "the lockstep's RTL 0" "$out/netlist_unwritten.txt"; then
  cat "$out/netlist_unwritten.txt"
  echo "FAIL an unwritten SPRAM word read back 0 with random power-up state: the randomisation is not live"
  exit 1
fi
echo "netlist, random power-up state (SPRAM, DSP registers), seeds 1 and 2: equal (an unwritten weight word reads $(sed -n 's/.*the pins gave \([-0-9]*\),.*/\1/p' "$out/netlist_unwritten.txt"))"
echo "trace replay: RTL and netlist equal to the lockstep, both changes caught"
