#!/usr/bin/env bash
# Regenerates the figures of docs/schedules.md with the project's own tools on the demo data: the LR preview of
# configs/shapes.yaml (ssd-train --plot-lr) and an LR range test on it (ssd-train --range-test). Needs a build
# (scripts/build.sh); makes the demo data when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/generated/shapes
[ -f "$data/ImageSets/Main/val.txt" ] || ./build/ssd-shapes --out "$data" --seed 0
mkdir -p docs/img
./build/ssd-train --config configs/shapes.yaml --plot-lr docs/img/lr_preview.png
./build/ssd-train --config configs/shapes.yaml --range-test --set train.run_dir=runs/lr_find
cp runs/lr_find/lr_find.png docs/img/lr_find.png
echo "wrote docs/img/lr_preview.png and docs/img/lr_find.png"
