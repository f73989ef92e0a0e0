#!/usr/bin/env bash
# The main job on its defaults: set up, build, then
#   1. map the Fashion-MNIST MLP onto the default 8x8 grid (mapping file + SVG in out/),
#   2. train it on the simulated chip, on the whole packaged Fashion-MNIST training set (1 epoch, fixed-point
#      functional engine: bit-identical to the cycle-level grid, and fast), saving the weights,
#   3. continue from those weights on the cycle-level SystemC grid for 1,000 samples and test it there,
#      to see what the chip pays: cycles, MAC utilisation, NoC traffic, energy (heat map in out/),
#   4. check the Verilog RTL against the simulator: 20 samples with every core the RTL implements and every
#      router running as Verilated RTL inside the SystemC grid, scoreboard on (docs/rtl.md),
#   5. damage the trained chip (25 % of its cores dead; the half away from the host cut off) and recover,
#      by retraining in place and by remapping onto the surviving cores (CSV, plot and grid pictures in
#      out/damage/),
# and print a short report. Takes about 3 minutes after the build on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
mkdir -p out
P=./build/pcgrid
MAP=out/mlp_fmnist.mapping.json

echo "== 1. map: models/zoo/mlp_fmnist.json onto arch/default.json"
$P map models/zoo/mlp_fmnist.json --arch arch/default.json -o $MAP --force
echo
echo "== 2. train on the chip: all 60,000 training images, fixed-point functional engine"
$P train $MAP --engine functional --save-checkpoint out/mlp_fmnist.ckpt.json --svg out/train_functional.svg \
  --force --json >out/train_functional.json
echo
echo "== 3. continue on the cycle-level SystemC grid: 1,000 more training samples, 1,000 test images"
$P train $MAP --engine cycle --load-checkpoint out/mlp_fmnist.ckpt.json --train-samples 1000 --test-samples 1000 \
  --svg out/train_cycle.svg --force --json >out/train_cycle.json
echo
echo "== 4. the Verilog RTL in lockstep with the simulator: 20 samples, RTL cores and routers, scoreboard on"
$P train $MAP --engine cycle --load-checkpoint out/mlp_fmnist.ckpt.json --train-samples 20 --test-samples 20 \
  --rtl-cores all --rtl-routers all --json >out/train_rtl.json
echo
echo "== 5. damage and recover: 25 % of the cores dead, then the chip cut in half (functional engine)"
$P damage $MAP --checkpoint out/mlp_fmnist.ckpt.json --levels 0,25,half --retrain-samples 5000 \
  -o out/damage --force
echo
python3 - out/train_functional.json out/train_cycle.json out/damage/damage.json out/train_rtl.json <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
c = json.load(open(sys.argv[2]))
d = json.load(open(sys.argv[3]))
v = json.load(open(sys.argv[4]))["rtl_lockstep"]
print("== report")
print(f"  network            {f['model']}: {f['cores_used']} cores of an {f['grid'][0]}x{f['grid'][1]} grid, "
      f"learning on chip (predictive coding, local updates only)")
print(f"  accuracy           {100 * f['test_acc']:.2f} % on the 10,000 test images after one epoch on the chip "
      f"({f['train_samples_per_second']:.0f} samples/s simulated, functional engine)")
print(f"  time on the chip   {c['cycles_per_train_sample']:.0f} cycles per training sample "
      f"({c['us_per_train_sample_at_clock']:.0f} us at the architecture's clock), "
      f"{c['cycles_per_inference']:.0f} cycles per inference")
print(f"  MAC utilisation    {100 * c['mac_utilisation']:.1f} % of the used cores' MAC lanes while training")
print(f"  NoC                {c['flit_hops_per_train_sample']:.0f} flit-hops per training sample, "
      f"busiest link {100 * c['peak_link_load']:.1f} % busy")
print(f"  energy             {c['energy_uj_per_train_sample']:.2f} uJ per training sample (default energy table)")
print(f"  cycle-level check  {100 * c['test_acc']:.1f} % on 1,000 test images after 1,000 more samples on the "
      f"cycle-level grid")
print(f"  RTL check          {v['rtl_cores']} cores and {v['rtl_routers']} routers ran as Verilog RTL for 20 samples: "
      f"{v['mismatches']} mismatches in {v['phases']} phase timings, {v['payload_words']} message words, "
      f"{v['weight_words']} weight words, {v['router_grants']} router grants"
      + (f"; {len(v['kept_on_systemc'])} core(s) stay on the SystemC model, why: out/train_rtl.json"
         if v['kept_on_systemc'] else ""))
def row(level, mode):
    return next(r for r in d["rows"] if r["level"] == level and r["recovery"] == mode)
base = d["acc_undamaged"]
for level, name in (("25%", "25 % of cores dead"), ("half", "cut in half")):
    n = row(level, "none")
    r = row(level, "retrain")
    m = row(level, "remap")
    why = " (the output core died: no prediction reaches the host until the network is remapped)" \
        if n["output_lost"] else ""
    print(f"  {name:<19}{n['dead_slices']} of the network's slices lost{why}: {100 * n['acc_damaged']:.1f} % right after; "
          f"retrained in place {100 * r['acc_recovered']:.1f} %, remapped + retrained {100 * m['acc_recovered']:.1f} % "
          f"(undamaged {100 * base:.1f} %, {d['retrain_samples']} retraining samples)")
print("  files              out/mlp_fmnist.mapping.json (+ .svg), out/mlp_fmnist.ckpt.json, out/train_*.json, "
      "out/train_*.svg, out/damage/")
PY
