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

echo "== the same checkpoint behind HTTP (ssd-serve): the first of those images posted with curl"
./build/ssd-serve --checkpoint runs/shapes/best.pt --port 0 > runs/shapes/serve.log 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q "serving" runs/shapes/serve.log && break; sleep 0.2; done
port=$(grep -o "http://127.0.0.1:[0-9]*" runs/shapes/serve.log | grep -o "[0-9]*$")
first=$(basename "${images[0]}" .jpg)
curl -sS --data-binary @"${images[0]}" "localhost:$port/detect?image_id=$first" > runs/shapes/served.json
kill -TERM "$server" && wait "$server"
/usr/bin/python3 - "$first" <<'PY'
import json, sys
first = sys.argv[1]
served = json.load(open("runs/shapes/served.json"))
detected = [d for d in json.load(open("runs/shapes/detections.json")) if d["image_id"] == first]
same = len(served) == len(detected) and all(a["category_id"] == b["category_id"] and abs(a["score"] - b["score"]) < 1e-4
                                            for a, b in zip(served, detected))
best = ", ".join(f"{d['category_name']} {d['score']:.2f}" for d in served[:3])
print(f"   {first}: {len(served)} detections over HTTP (best: {best}); ssd-detect found {len(detected)}: "
      + ("the same" if same else "DIFFERENT"))
sys.exit(0 if same else 1)
PY

echo "== done: training took $(( (trained - start) / 60 )) min $(( (trained - start) % 60 )) s"
echo "   runs/shapes/training.png (loss, LR, mAP), runs/shapes/detections/*.jpg, runs/shapes/eval.json,"
echo "   runs/shapes/eval/report.html (per-class table, PR curves, F1 against score, confusion matrix: open it in a browser)"
