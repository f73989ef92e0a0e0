#!/bin/sh
# Gate-level smoke test (CTest rtl_top_gate_smoke): synthesizes rtl/pcg_top.sv for the iCE40 UP5K exactly as
# `pcgrid synth` does (Yosys synth_ice40 -dsp -spram, the router at x=2, y=3), writes the netlist of
# SB_LUT4/SB_CARRY/SB_DFF*/SB_RAM40_4K/SB_SPRAM256KA/SB_MAC16 cells, and runs testbenches/pcg_top_smoke.sv
# on it in Icarus with Yosys's simulation models of those cells (ice40/cells_sim.v). It checks what the
# RTL simulations cannot: that the synthesized netlist — RAM inference with no_rw_check, SPRAM and DSP
# mapping, ABC's logic — behaves as the RTL does on the smoke test's host, router and NI operations.
# Power-up state as on the chip: the cell models start flip-flops at 0, and `setundef -zero -params` gives
# the block RAMs all-zero contents, as nextpnr writes them into the bitstream for a RAM without initial
# data (the .asc ram_data of every RAM of the tile is zeros). Yosys leaves their INIT parameters undefined
# (x), which the models would return for every word not yet written.
# Usage: gate_smoke.sh RTL_DIR SMOKE_TB OUT_DIR [acts|board]   (prints the testbench's PASS / FAIL lines)
#   acts:  the tile with ACTS = 1 and ELEM = 1 (pcg_act.sv's tanh, sigmoid and leaky_relu; the elementwise
#          slices), and the testbench's ACTS_SMOKE part
#   board: the board top rtl/board/pcg_icebreaker.sv (UART bridge, power-on reset from flip-flop initial
#          values) with 4 cycles per UART bit, and the testbench's BOARD part (everything through the UART)
set -eu
rtl=$1
tb=$2
out=$3
acts=${4:-}
chp="chparam -set MY_X 2 -set MY_Y 3 pcg_top"
def=""
top=pcg_top
files="$rtl/pcg_sdp_ram.sv $rtl/pcg_core.sv $rtl/pcg_softmax.sv $rtl/pcg_act.sv $rtl/pcg_router.sv $rtl/pcg_top.sv"
if [ "$acts" = acts ]; then
  chp="chparam -set MY_X 2 -set MY_Y 3 -set ACTS 1 -set ELEM 1 pcg_top"
  def="-DACTS_SMOKE"
elif [ "$acts" = board ]; then
  top=pcg_icebreaker
  files="$files $rtl/board/pcg_uart_rx.sv $rtl/board/pcg_uart_tx.sv $rtl/board/pcg_icebreaker.sv"
  chp="chparam -set DIV 4 -set MY_X 2 -set MY_Y 3 pcg_icebreaker"
  def="-DBOARD"
fi
mkdir -p "$out"
datdir=$(dirname "$(command -v yosys)")/../share/yosys
yosys -q -l "$out/gate_yosys.log" -p "read_verilog -sv $files;
  $chp; synth_ice40 -top $top -dsp -spram; setundef -zero -params;
  write_verilog -noattr $out/pcg_top_gates.v" > /dev/null
# NO_ICE40_DEFAULT_ASSIGNMENTS: Icarus does not accept the models' default values on input ports.
iverilog -g2012 -DGATE_LEVEL $def -DNO_ICE40_DEFAULT_ASSIGNMENTS -o "$out/gate_smoke.vvp" "$tb" "$out/pcg_top_gates.v" \
  "$datdir/ice40/cells_sim.v"
vvp -n "$out/gate_smoke.vvp"
