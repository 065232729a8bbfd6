#!/usr/bin/env bash
# The augmentation menu through the executables: a tiny run with a heavy pipeline (every step) and the GIoU box loss, ssd-data
# preview (a grid of the right size, the same for the same seed), the shipped heavy config, and the errors that name a
# wrong step. Argument: the folder holding ssd-train & co.
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$here/tiny_setup.sh"
make_tiny "$bin" "$work" "augment:
  pipeline: [brightness, contrast, saturation, hue, clahe, gaussian_blur, motion_blur, gaussian_noise, jpeg, to_gray,
             channel_shuffle, mosaic, copy_paste, zoom_out, affine, random_crop, random_sized_crop, iou_crop, hflip, vflip]
  affine: {p: 0.7, degrees: 15, shear: 5, min_visibility: 0.4}
  random_sized_crop: {p: 0.3}
loss: {box: giou}
solver: {optimizer: adamw, lr: 0.003}
train: {run_dir: $work/run, epochs: 2, batch_size: 4, log_period: 1}"

echo "== training with a heavy pipeline and GIoU"
"$bin/ssd-train" --config "$work/tiny.yaml" > "$work/train.log" 2>&1 || { cat "$work/train.log"; fail "training"; }
/usr/bin/python3 - "$work/run/metrics.csv" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
train = [r for r in rows if r["kind"] == "train"]
assert train and all(math.isfinite(float(r["loss"])) for r in train), "no finite training loss"
assert any(r["kind"] == "val" for r in rows), "no validation row"
PY
grep -q "box: giou" "$work/run/config.yaml" || fail "config.yaml does not record loss.box giou"
grep -q "pipeline:" "$work/run/config.yaml" || fail "config.yaml does not record the pipeline"

echo "== ssd-data preview"
"$bin/ssd-data" preview --config "$work/tiny.yaml" --out "$work/grid.png" --samples 6 --columns 4 --seed 3 > "$work/preview.log" \
  || { cat "$work/preview.log"; fail "preview"; }
grep -q "6 augmented training images" "$work/preview.log" || fail "preview summary"
/usr/bin/python3 - "$work/grid.png" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (4 * (96 + 4) + 4, 2 * (96 + 4) + 4), (width, height)  # 4 columns, 2 rows of 96 px with gaps
PY
"$bin/ssd-data" preview --config "$work/tiny.yaml" --out "$work/again.png" --samples 6 --columns 4 --seed 3 > /dev/null
cmp -s "$work/grid.png" "$work/again.png" || fail "the same seed gave another grid"
"$bin/ssd-data" preview --config "$work/tiny.yaml" --out "$work/other.png" --samples 6 --columns 4 --seed 4 > /dev/null
cmp -s "$work/grid.png" "$work/other.png" && fail "another seed gave the same grid"

echo "== the shipped heavy config and the listing"
"$bin/ssd-train" --config "$here/../../configs/shapes_heavy_augment.yaml" --print-config > "$work/heavy.yaml" || fail "heavy config"
grep -q "affine:" "$work/heavy.yaml" || fail "heavy config: no affine"
"$bin/ssd-train" --list-augmentations > "$work/list.txt"
grep -q "^  affine " "$work/list.txt" || fail "--list-augmentations: no affine"
grep -q "^  jpeg " "$work/list.txt" || fail "--list-augmentations: no jpeg"

echo "== model.resize letterbox on 2:1 images: training, ssd-eval and ssd-detect place the boxes alike; an unused key is named"
"$bin/ssd-shapes" --out "$work/wide" --train 8 --val 4 --width 160 --height 80 --max-size 40 --max-objects 3 --seed 5 > /dev/null
"$bin/ssd-train" --config "$work/tiny.yaml" --set "data.train.roots=[$work/wide]" --set "data.val.roots=[$work/wide]" \
  --set train.run_dir="$work/letterbox" --set train.max_iters=3 --set model.resize=letterbox --set augment.center_crop.fraction=0.5 \
  > "$work/letterbox.log" 2>&1 || { cat "$work/letterbox.log"; fail "training with model.resize letterbox"; }
grep -q "resize: letterbox" "$work/letterbox/config.yaml" || fail "config.yaml lost model.resize"
grep -q "augment.center_crop.fraction: 0.5 has no effect: center_crop is not in augment.pipeline" "$work/letterbox.log" \
  || { cat "$work/letterbox.log"; fail "the unused key was not named"; }
"$bin/ssd-eval" --checkpoint "$work/letterbox/last.pt" --metric voc --json-out "$work/lb_eval.json" > "$work/lb_eval.log" 2>&1 \
  || { cat "$work/lb_eval.log"; fail "ssd-eval, letterbox"; }
"$bin/ssd-detect" --checkpoint "$work/letterbox/last.pt" "$work/wide/JPEGImages" --json-out "$work/lb_dets.json" --score-thresh 0.01 \
  > "$work/lb_detect.log" 2>&1 || { cat "$work/lb_detect.log"; fail "ssd-detect, letterbox"; }
"$bin/ssd-eval" --dets "$work/lb_dets.json" --gt "$work/wide" --split val --classes circle,square,triangle,star --metric voc \
  --json-out "$work/lb_dets_eval.json" > /dev/null || fail "ssd-eval --dets, letterbox"
/usr/bin/python3 - "$work/lb_eval.json" "$work/lb_dets_eval.json" "$work/lb_dets.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["mAP"] or 0 for p in sys.argv[1:3])
assert abs(a - b) < 1e-6, f"ssd-eval on the checkpoint gives mAP {a}, on ssd-detect's boxes {b}"
dets = json.load(open(sys.argv[3]))
assert dets, "no detections"
for d in dets:
    x, y, w, h = d["bbox"]
    assert -1e-3 <= x and x + w <= 160 + 1e-3 and -1e-3 <= y and y + h <= 80 + 1e-3, d
PY

echo "== a wrong step is named"
set +e
"$bin/ssd-train" --config "$work/tiny.yaml" --set "augment.pipeline=[hflp]" --dry-run > "$work/bad.log" 2>&1
code=$?
set -e
[ "$code" -eq 3 ] || { cat "$work/bad.log"; fail "unknown step: exit $code, not 3"; }
grep -q "augment.pipeline" "$work/bad.log" && grep -q "hflip" "$work/bad.log" || { cat "$work/bad.log"; fail "unknown step not named"; }
echo "augment: all checks passed"
