#!/usr/bin/env bash
# ssd-export --format onnx and ssd-detect --onnx as a user runs them: a small SSD-Lite MobileNetV3 trained for a few
# steps, exported to ONNX (through Debian's python3-torch), run by OpenCV's DNN module, and the detections compared
# with the checkpoint's own; the refusals. Argument: the folder holding ssd-train & co.
set -euo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/tiny_setup.sh"
"$bin/ssd-shapes" --out "$work/shapes" --train 12 --val 4 --size 160 --max-size 80 --max-objects 3 --seed 5 > /dev/null
cat > "$work/lite.yaml" <<YAML
data:
  classes: [circle, square, triangle, star]
  train: {format: voc, roots: [$work/shapes], splits: [train]}
  workers: 2
model: {backbone: mobilenet_v3_large, head: ssdlite, image_size: 160, priors: {preset: scales}}
runtime: {threads: 2}
schedule: {warmup: {iters: 5}}
train: {run_dir: $work/run, epochs: 100, batch_size: 4, max_iters: 20, log_period: 10}
YAML
"$bin/ssd-train" --config "$work/lite.yaml" > "$work/train.log" 2>&1 || { cat "$work/train.log"; fail "ssd-train"; }

echo "== ssd-export --format onnx: the .onnx file and its side file"
"$bin/ssd-export" --checkpoint "$work/run/last.pt" --format onnx --out "$work/out/lite.onnx" > "$work/export.log" 2>&1 \
  || { cat "$work/export.log"; fail "ssd-export --format onnx"; }
[ -s "$work/out/lite.onnx" ] && [ -s "$work/out/lite.json" ] || fail "no lite.onnx or lite.json"
[ -z "$(ls -A "$work/out" | grep -v '^lite\.\(onnx\|json\)$')" ] || fail "ssd-export left other files: $(ls -A "$work/out")"
grep -q "opset 10, checked" "$work/export.log" || { cat "$work/export.log"; fail "the export was not checked"; }

echo "== ssd-detect --onnx (OpenCV's DNN module) against ssd-detect --checkpoint on the same images"
"$bin/ssd-detect" --checkpoint "$work/run/last.pt" "$work/shapes/JPEGImages" --json-out "$work/torch.json" --score-thresh 0.05 \
  > "$work/torch.log" 2>&1 || { cat "$work/torch.log"; fail "ssd-detect --checkpoint"; }
"$bin/ssd-detect" --onnx "$work/out/lite.onnx" "$work/shapes/JPEGImages" --json-out "$work/dnn.json" --score-thresh 0.05 \
  --output "$work/annotated" > "$work/dnn.log" 2>&1 || { cat "$work/dnn.log"; fail "ssd-detect --onnx"; }
[ "$(ls "$work/annotated" | wc -l)" -eq 16 ] || fail "ssd-detect --onnx: expected 16 annotated images"
# The network's outputs agree within float rounding (tests/detect/onnx_detector_test.cpp); this model, a few steps into
# training, scores hundreds of boxes alike, so NMS, the cut at 200 per image or the score threshold may break a
# near-tie the other way: the counts agree within 2% per image, and nearly all detections are matched.
/usr/bin/python3 - "$work/torch.json" "$work/dnn.json" <<'PY'
import json, sys
from collections import Counter
torch_dets, dnn_dets = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert len(torch_dets) > 0, "no detections to compare"
a, b = Counter(d["image_id"] for d in torch_dets), Counter(d["image_id"] for d in dnn_dets)
assert set(a) == set(b) and all(abs(a[k] - b[k]) <= max(1, 0.02 * a[k]) for k in a), f"counts per image: {a} and {b}"
left, matched = list(dnn_dets), 0
for t in torch_dets:
    match = next((d for d in left if d["image_id"] == t["image_id"] and d["category_id"] == t["category_id"] and
                  abs(d["score"] - t["score"]) < 1e-4 and max(abs(a - b) for a, b in zip(d["bbox"], t["bbox"])) < 1e-2), None)
    if match:
        left.remove(match)
        matched += 1
assert matched >= 0.95 * max(len(torch_dets), len(dnn_dets)), f"{matched} of {len(torch_dets)} matched"
print(f"{len(torch_dets)} detections, {matched} alike (score within 1e-4, box within 0.01 px)")
PY

echo "== refusals: a letterboxed model (torchvision's transform stretches), a missing side file, --onnx with --checkpoint"
source /dev/stdin <<'SH'
expect_exit() {  # expect_exit CODE TEXT COMMAND...: the command exits CODE and says TEXT
  local code=$1 text=$2 rc=0
  shift 2
  "$@" > "$work/refusal.log" 2>&1 || rc=$?
  [ "$rc" -eq "$code" ] || { cat "$work/refusal.log"; fail "$* exited $rc, expected $code"; }
  grep -q -- "$text" "$work/refusal.log" || { cat "$work/refusal.log"; fail "$*: no '$text'"; }
}
SH
make_tiny "$bin" "$work/v2" "train: {run_dir: $work/v2/run, epochs: 1, batch_size: 4, max_iters: 1}" > /dev/null
"$bin/ssd-train" --config "$work/v2/tiny.yaml" --set model.resize=letterbox > "$work/v2/train.log" 2>&1 \
  || { cat "$work/v2/train.log"; fail "ssd-train letterbox"; }
expect_exit 4 "stretches every image" "$bin/ssd-export" --checkpoint "$work/v2/run/last.pt" --format onnx --out "$work/v2.onnx"
[ ! -e "$work/v2.onnx" ] || fail "a refused export left a file"
cp "$work/out/lite.onnx" "$work/alone.onnx"
expect_exit 4 "alone.json: not found" "$bin/ssd-detect" --onnx "$work/alone.onnx" "$work/shapes/JPEGImages"
expect_exit 3 "without --checkpoint" "$bin/ssd-detect" --onnx "$work/out/lite.onnx" --checkpoint "$work/run/last.pt" "$work/shapes/JPEGImages"
expect_exit 3 "named \*.onnx" "$bin/ssd-export" --checkpoint "$work/run/last.pt" --format onnx --out "$work/lite.json"
echo "onnx: all checks passed"
