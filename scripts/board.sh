#!/usr/bin/env bash
# Bitstream of the tile for a board: scripts/board.sh icebreaker [OUT_DIR] [SEED] [VARIANT]
# (docs/synthesis.md, "On a board"). VARIANT tile (default): core + router, a hidden-layer core (no softmax unit,
# pcg_act or elementwise slices: with them the tile does not fit); core: the core alone with every unit (softmax
# unit, leaky_relu/tanh/sigmoid, elementwise slices), which can replay any core's port trace but has no router.
# Synthesises rtl/board/pcg_icebreaker.sv (pcg_top behind a UART bridge) with
# Yosys (synth_ice40 -dsp -spram, as pcgrid synth), places and routes it with nextpnr-ice40 on the board's
# pins (rtl/board/icebreaker.pcf) for its 12 MHz clock, packs OUT_DIR/pcg_icebreaker.bin with icepack and
# prints one JSON line: LCs, BRAM, DSP, SPRAM, Fmax and whether 12 MHz is met. Program the board with
# `iceprog OUT_DIR/pcg_icebreaker.bin` (package fpga-icestorm). Needs yosys, nextpnr-ice40, icepack and
# python3 (scripts/setup.sh installs them). Never writes outside OUT_DIR (default ./board-icebreaker).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
board=${1:-}
usage="usage: scripts/board.sh icebreaker [OUT_DIR] [SEED] [VARIANT]   (the one board supported: icebreaker; VARIANT tile or core)"
if [ "$board" != icebreaker ] || [ $# -gt 4 ]; then
  echo "$usage" >&2
  exit 2
fi
out=${2:-board-icebreaker}
seed=${3:-1}
variant=${4:-tile}
case $seed in '' | *[!0-9]*) echo "board.sh: SEED must be a positive integer, got '$seed'" >&2; exit 2 ;; esac
case $variant in
  tile) chparam="" ;;  # pcg_icebreaker's defaults: WITH_ROUTER 1, SMAX ACTS ELEM 0
  core) chparam="chparam -set WITH_ROUTER 0 -set SMAX 1 -set ACTS 1 -set ELEM 1 pcg_icebreaker;" ;;
  *) echo "board.sh: VARIANT must be tile (core + router, a hidden-layer core) or core (the core alone with every unit), got '$variant'" >&2
     exit 2 ;;
esac
for tool in yosys nextpnr-ice40 icepack python3; do
  command -v "$tool" >/dev/null || { echo "board.sh: $tool not found; run scripts/setup.sh" >&2; exit 1; }
done
mkdir -p "$out"
rtl=$here/rtl
files=""
for f in pcg_sdp_ram pcg_core pcg_softmax pcg_act pcg_router pcg_top board/pcg_uart_rx board/pcg_uart_tx board/pcg_icebreaker; do
  files="$files $rtl/$f.sv"
done
echo "board.sh: [1/3] yosys (log $out/yosys.log)" >&2
yosys -q -l "$out/yosys.log" -p "read_verilog -sv $files; $chparam synth_ice40 -top pcg_icebreaker -dsp -spram -json $out/pcg_icebreaker.json" \
  >/dev/null 2>&1 || { tail -5 "$out/yosys.log" >&2; echo "board.sh: yosys failed (log $out/yosys.log)" >&2; exit 1; }
echo "board.sh: [2/3] nextpnr-ice40 --up5k --package sg48 --pcf icebreaker.pcf --freq 12 --seed $seed (log $out/nextpnr.log)" >&2
nextpnr-ice40 --up5k --package sg48 --pcf "$rtl/board/icebreaker.pcf" --freq 12 --seed "$seed" \
  --json "$out/pcg_icebreaker.json" --asc "$out/pcg_icebreaker.asc" --report "$out/report.json" \
  >"$out/nextpnr.log" 2>&1 || { tail -5 "$out/nextpnr.log" >&2; echo "board.sh: nextpnr failed (log $out/nextpnr.log)" >&2; exit 1; }
echo "board.sh: [3/3] icepack -> $out/pcg_icebreaker.bin" >&2
icepack "$out/pcg_icebreaker.asc" "$out/pcg_icebreaker.bin"
python3 - "$out/report.json" "$seed" "$variant" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
u = r["utilization"]
f = [v["achieved"] for k, v in r["fmax"].items()]
fmax = min(f)
print(json.dumps({"board": "icebreaker", "top": "pcg_icebreaker", "variant": sys.argv[3], "seed": int(sys.argv[2]),
                  "clock_mhz": 12.0,
                  "fmax_mhz": round(fmax, 2), "timing_met": fmax >= 12.0,
                  "lc": [u["ICESTORM_LC"]["used"], u["ICESTORM_LC"]["available"]],
                  "bram": [u["ICESTORM_RAM"]["used"], u["ICESTORM_RAM"]["available"]],
                  "dsp": [u["ICESTORM_DSP"]["used"], u["ICESTORM_DSP"]["available"]],
                  "spram": [u["ICESTORM_SPRAM"]["used"], u["ICESTORM_SPRAM"]["available"]],
                  "io_used": u["SB_IO"]["used"]}))
PY
