#!/bin/sh
# CTest board_host_sim: scripts/board_host.py selftest against the simulated board (testbenches/board_pipe_tb.sv:
# rtl/board/pcg_icebreaker.sv in Icarus behind two named pipes). Passes when the host program's selftest
# passes and the simulation ends cleanly.
# Usage: [BOARD_VARIANT=core] board_host_sim.sh RTL_DIR SOURCE_DIR OUT_DIR [host-args...]   (default host args:
# selftest; BOARD_VARIANT tile, the default, or core: scripts/board.sh's variants)
set -eu
rtl=$1
src=$2
out=$3
shift 3
[ $# -gt 0 ] || set -- selftest
case ${BOARD_VARIANT:-tile} in
  tile) define="" ;;
  core) define="-DBOARD_CORE" ;;
  *) echo "board_host_sim: BOARD_VARIANT must be tile or core, got '$BOARD_VARIANT'" >&2; exit 2 ;;
esac
mkdir -p "$out"
rm -f "$out/to_board" "$out/from_board"
mkfifo "$out/to_board" "$out/from_board"
iverilog -g2012 $define -o "$out/board_pipe_tb.vvp" "$src/testbenches/board_pipe_tb.sv" \
  "$rtl/pcg_sdp_ram.sv" "$rtl/pcg_core.sv" "$rtl/pcg_softmax.sv" "$rtl/pcg_act.sv" "$rtl/pcg_router.sv" \
  "$rtl/pcg_top.sv" "$rtl/board/pcg_uart_rx.sv" "$rtl/board/pcg_uart_tx.sv" "$rtl/board/pcg_icebreaker.sv" \
  2>"$out/iverilog.log" || { grep -v 'sorry: constant selects' "$out/iverilog.log" >&2; echo "board_host_sim: iverilog failed" >&2; exit 1; }
vvp -n "$out/board_pipe_tb.vvp" +to_board="$out/to_board" +from_board="$out/from_board" > "$out/sim.log" 2>&1 &
sim=$!
status=0
python3 "$src/scripts/board_host.py" --pipe "$out/to_board" "$out/from_board" "$@" || status=$?
wait $sim || status=$?
cat "$out/sim.log"
if grep -q FAIL "$out/sim.log"; then status=1; fi
exit $status
