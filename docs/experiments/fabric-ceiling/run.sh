#!/bin/bash
# Fabric-ceiling probe for iCE40 UP5K sg48. Re-run: ./run.sh [design ...]
# Default: all designs. Runs at most 2 nextpnr processes at once.
set -u
cd "$(dirname "$0")"
DESIGNS=${*:-"a b1 b2 c d an b1n b2n cn dn b2nd dn98 cn98 cn1 cn1_98"}
SEEDS="1 2 3"
mkdir -p build
for D in $DESIGNS; do
    TOP=top_$D
    echo "== yosys $TOP"
    yosys -l build/$TOP.yosys.log -p "synth_ice40 -top $TOP -dsp -spram -json build/$TOP.json" fabric.v $TOP.v > /dev/null || exit 1
done
# nextpnr jobs, 2 in parallel
for D in $DESIGNS; do for S in $SEEDS; do echo "$D $S"; done; done | \
  xargs -P 2 -n 2 sh -c 'TOP=top_$0; S=$1; cd build && \
    nextpnr-ice40 --up5k --package sg48 --json $TOP.json --freq 48 --seed $S \
      --timing-allow-fail --report ${TOP}_rep_$S.json --asc ${TOP}_$S.asc > ${TOP}_$S.log 2>&1; \
    echo "done $TOP seed $S: $(grep "Max frequency for clock" ${TOP}_$S.log | tail -1)"'
python3 summarize.py $DESIGNS > results.md
cat results.md
