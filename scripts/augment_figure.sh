#!/usr/bin/env bash
# Regenerates the README's augmentation preview: configs/shapes_heavy_augment.yaml's pipeline on the demo data
# (ssd-data preview). Needs a build (scripts/build.sh); makes the demo data when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/generated/shapes
[ -f "$data/ImageSets/Main/val.txt" ] || ./build/ssd-shapes --out "$data" --seed 0
mkdir -p docs/img
./build/ssd-data preview --config configs/shapes_heavy_augment.yaml --out docs/img/augment_preview.jpg --samples 12 --columns 6
