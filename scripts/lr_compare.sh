#!/usr/bin/env bash
# The README's schedule comparison: configs/shapes.yaml (the demo) trained with three LR schedules, the same otherwise,
# and put side by side with ssd-runs compare:
#   default_decays  multistep x0.1 at 2/3 and 5/6 of the run (the SSD recipe's default)
#   cosine          cosine from LR0 to 0 after the same warm-up
#   late_decays     multistep x0.1 at 0.8 and 0.93 (what configs/shapes.yaml uses)
# Writes runs/lr_compare/{default_decays,cosine,late_decays}/, runs/lr_compare/compare.html with its PNGs, and
# docs/img/lr_compare.png (the page in headless Chromium). A finished run is kept, a stopped one resumed, so the script
# can be stopped and run again. About 10 minutes of training per run on 2 CPU cores. Needs a build (scripts/build.sh)
# and chromium (scripts/setup.sh); makes the demo data when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/generated/shapes
[ -f "$data/ImageSets/Main/val.txt" ] || ./build/ssd-shapes --out "$data" --seed 0
out=runs/lr_compare
mkdir -p "$out" docs/img

train() {  # NAME SET...
  local name=$1 dir=$out/$1
  shift
  if [ -f "$dir/summary.json" ] && grep -q '"status": "finished"' "$dir/summary.json"; then
    echo "== $name: finished already"
  elif [ -f "$dir/last.pt" ]; then
    echo "== $name: resuming"
    ./build/ssd-train --resume "$dir"
  else
    echo "== $name"
    ./build/ssd-train --config configs/shapes.yaml --set train.run_dir="$dir" "$@"
  fi
}
train default_decays --set "schedule.multistep.fractions=[0.66666666666666663, 0.83333333333333337]"
train cosine --set schedule.name=cosine
train late_decays

./build/ssd-runs compare "$out/default_decays" "$out/cosine" "$out/late_decays" --out "$out/compare.html"
# The top of the page: the runs' table, the config differences and the curves.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$out/.chromium" --virtual-time-budget=5000 \
  --window-size=1300,1250 --screenshot="$PWD/docs/img/lr_compare.png" "file://$PWD/$out/compare.html" 2>/dev/null
rm -rf "$out/.chromium"
echo "wrote $out/compare.html and docs/img/lr_compare.png"
