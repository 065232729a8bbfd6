#!/usr/bin/env bash
# The main job on a fresh machine: install, build, generate the embedded shapes data set, train an SSD-Lite
# on it, evaluate it (VOC07 11-point, VOC all-point and COCO mAP), and run detection on a few validation images.
# Everything lands in runs/shapes/ (checkpoints, train.log, metrics.csv, training.png, eval/report.html, detections/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh

data=data/generated/shapes
if [ ! -f "$data/ImageSets/Main/val.txt" ]; then
  ./build/ssd-shapes --out "$data" --seed 0
fi

start=$(date +%s)
./build/ssd-train --config configs/shapes.yaml
trained=$(date +%s)

echo "== evaluation of runs/shapes/best.pt on the validation split: VOC07 11-point, VOC all-point and COCO"
./build/ssd-eval --checkpoint runs/shapes/best.pt --metric all --json-out runs/shapes/eval.json

echo "== detection on 8 validation images"
mapfile -t images < <(head -n 8 "$data/ImageSets/Main/val.txt" | sed "s|^|$data/JPEGImages/|; s|$|.jpg|")
./build/ssd-detect --checkpoint runs/shapes/best.pt "${images[@]}" --output runs/shapes/detections \
  --json-out runs/shapes/detections.json

echo "== done: training took $(( (trained - start) / 60 )) min $(( (trained - start) % 60 )) s"
echo "   runs/shapes/training.png (loss, LR, mAP), runs/shapes/detections/*.jpg, runs/shapes/eval.json,"
echo "   runs/shapes/eval/report.html (per-class table, PR curves, F1 against score, confusion matrix: open it in a browser)"
