#!/usr/bin/env bash
# End to end through the executables, as a user runs them. Argument: the folder holding ssd-train & co.
set -euo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/tiny_setup.sh"
make_tiny "$bin" "$work" "schedule: {warmup: {iters: 2}}
train: {run_dir: $work/run, epochs: 2, batch_size: 4, log_period: 1, max_iters: 4}"

echo "== train 4 iterations, then resume to the end (6)"
"$bin/ssd-train" --config "$work/tiny.yaml" > "$work/train1.log" 2>&1 || { cat "$work/train1.log"; fail "ssd-train"; }
grep -q "iter 4/4" "$work/train1.log" || fail "no progress line for iteration 4"
"$bin/ssd-train" --resume "$work/run" --set train.max_iters=0 > "$work/train2.log" 2>&1 || { cat "$work/train2.log"; fail "resume"; }
grep -q "resumed from .* at iteration 4" "$work/train2.log" || fail "resume did not start at iteration 4"
grep -q "iter 6/6" "$work/train2.log" || fail "resumed run did not reach iteration 6"
for f in last.pt best.pt metrics.csv training.png train.log config.yaml; do [ -s "$work/run/$f" ] || fail "missing $f"; done
for f in report.html per_class.csv pr_curves.png f1_confidence.png confusion_matrix.png confusion_matrix.csv; do
  [ -s "$work/run/report/$f" ] || fail "training wrote no report/$f for the best checkpoint"
done

echo "== ssd-eval with --json-out"
"$bin/ssd-eval" --checkpoint "$work/run/best.pt" --metric voc --json-out "$work/ap.json" | tee "$work/eval.log"
grep -q "VOC all-point AP@0.5" "$work/eval.log" || fail "no metric name in the table"
[ -s "$work/run/eval/report.html" ] || fail "ssd-eval wrote no report beside the checkpoint"
grep -q 'src="data:image/png;base64,' "$work/run/eval/report.html" || fail "the report's images are not embedded"
/usr/bin/python3 - "$work/ap.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["metric"] == "voc", r
assert set(r["per_class"]) == {"circle", "square", "triangle", "star"}, r
assert r["mAP"] is None or 0 <= r["mAP"] <= 1, r
PY

echo "== --print-config of the tools whose config comes with the checkpoint: its config with --set on top"
for tool in ssd-eval ssd-detect ssd-export; do
  "$bin/$tool" --checkpoint "$work/run/best.pt" --set postprocess.nms_iou=0.3 --print-config > "$work/printed.yaml" 2> "$work/printed.log" \
    || { cat "$work/printed.log"; fail "$tool --print-config"; }
  grep -q "nms_iou: 0.3" "$work/printed.yaml" || fail "$tool --print-config did not print the config with --set"
  grep -q "classes: \[circle, square, triangle, star\]" "$work/printed.yaml" || fail "$tool --print-config: not the checkpoint's config"
done

echo "== ssd-detect, then score its JSON with ssd-eval --dets"
"$bin/ssd-detect" --checkpoint "$work/run" "$work/shapes/JPEGImages" --output "$work/annotated" --json-out "$work/dets.json" --score-thresh 0.01 > "$work/detect.log" 2>&1 \
  || { cat "$work/detect.log"; fail "ssd-detect"; }
[ "$(ls "$work/annotated" | wc -l)" -eq 16 ] || fail "expected 16 annotated images"
/usr/bin/python3 - "$work/dets.json" <<'PY'
import json, sys
dets = json.load(open(sys.argv[1]))
assert isinstance(dets, list)
for d in dets[:50]:
    assert set(d) == {"image_id", "category_id", "category_name", "bbox", "score"}, d
    assert isinstance(d["image_id"], str) and len(d["bbox"]) == 4 and 1 <= d["category_id"] <= 4
PY
"$bin/ssd-eval" --dets "$work/dets.json" --gt "$work/shapes" --split val --classes circle,square,triangle,star \
  --metric voc07 --json-out "$work/ap_dets.json" > "$work/dets_eval.log" || fail "ssd-eval --dets"
# grep reads a file, not a pipe: "| grep -q" stops reading at the first match, and the writer's SIGPIPE would fail the pipeline.
grep -q "VOC07 11-point" "$work/dets_eval.log" || fail "ssd-eval --dets printed no VOC07 table"
# The 12 training images were detected too: not in the val split, so not scored (not counted as false positives).
grep -q "detections, on 12 images the ground truth lacks (such as '[0-9]*'), are not scored" "$work/dets_eval.log" \
  || { cat "$work/dets_eval.log"; fail "ssd-eval --dets did not say which detections it left out"; }

echo "== small objects: tiled training, then ssd-eval and ssd-detect --sliced (tiles of 48 px at --tile-scale 2, merged)"
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/tiled" --set train.max_iters=2 --set tiling.train=true \
  --set tiling.scale=2 > "$work/tiled.log" 2>&1 || { cat "$work/tiled.log"; fail "tiled training"; }
grep -q "training on tiles of 48 source px" "$work/tiled.log" || { cat "$work/tiled.log"; fail "tiled training said nothing of its tiles"; }
"$bin/ssd-eval" --checkpoint "$work/tiled/last.pt" --sliced --tile-scale 2 --tile-merge wbf --metric voc > "$work/sliced_eval.log" 2>&1 \
  || { cat "$work/sliced_eval.log"; fail "ssd-eval --sliced"; }
grep -q "sliced inference: tiles of 48 source px .* merged by wbf" "$work/sliced_eval.log" || { cat "$work/sliced_eval.log"; fail "no slicing line"; }
grep -q "VOC all-point AP@0.5" "$work/sliced_eval.log" || fail "ssd-eval --sliced printed no table"
"$bin/ssd-detect" --checkpoint "$work/tiled/last.pt" --sliced --tile-scale 2 "$work/shapes/JPEGImages/000000.jpg" \
  --json-out "$work/sliced.json" --score-thresh 0.01 > "$work/sliced_detect.log" 2>&1 || { cat "$work/sliced_detect.log"; fail "ssd-detect --sliced"; }
/usr/bin/python3 - "$work/sliced.json" <<'PY'
import json, sys
dets = json.load(open(sys.argv[1]))
assert dets, "no detections"
for d in dets:
    x, y, w, h = d["bbox"]
    assert 0 <= x and 0 <= y and x + w <= 96 + 1e-6 and y + h <= 96 + 1e-6 and w > 0 and h > 0, d
PY
"$bin/ssd-eval" --checkpoint "$work/tiled/last.pt" --sliced --tile-merge average > "$work/bad_merge.log" 2>&1 && fail "an unknown merge was accepted"
grep -q "tiling.merge" "$work/bad_merge.log" || { cat "$work/bad_merge.log"; fail "the unknown merge's key is not named"; }

echo "== a non-square input (model.image_size [128, 80]): train, evaluate whole and sliced, detect"
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/wide" --set train.max_iters=2 --set "model.image_size=[128, 80]" \
  > "$work/wide.log" 2>&1 || { cat "$work/wide.log"; fail "non-square training"; }
grep -q "model: SSD128x80 " "$work/wide.log" || { cat "$work/wide.log"; fail "the summary does not name the 128 x 80 input"; }
grep -q "image_size: \[128, 80\]" "$work/wide/config.yaml" || fail "config.yaml does not keep [128, 80]"
"$bin/ssd-eval" --checkpoint "$work/wide/last.pt" --metric voc > "$work/wide_eval.log" 2>&1 || { cat "$work/wide_eval.log"; fail "ssd-eval, non-square"; }
grep -q "VOC all-point AP@0.5" "$work/wide_eval.log" || fail "ssd-eval (non-square) printed no table"
"$bin/ssd-eval" --checkpoint "$work/wide/last.pt" --sliced --tile-scale 2 --metric voc > "$work/wide_sliced.log" 2>&1 \
  || { cat "$work/wide_sliced.log"; fail "ssd-eval --sliced, non-square"; }
grep -q "sliced inference: tiles of 64x40 source px" "$work/wide_sliced.log" || { cat "$work/wide_sliced.log"; fail "no 64 x 40 tiles"; }
"$bin/ssd-detect" --checkpoint "$work/wide/last.pt" "$work/shapes/JPEGImages/000000.jpg" --json-out "$work/wide.json" --score-thresh 0.01 \
  > "$work/wide_detect.log" 2>&1 || { cat "$work/wide_detect.log"; fail "ssd-detect, non-square"; }
[ -s "$work/wide.json" ] || fail "ssd-detect (non-square) wrote no JSON"

echo "== the loss menu: GIoU with label smoothing, and the sigmoid focal loss with CIoU, train; an unknown box term is named"
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/giou" --set train.max_iters=2 --set loss.box=giou \
  --set loss.label_smoothing=0.1 > "$work/giou.log" 2>&1 || { cat "$work/giou.log"; fail "training with loss.box giou"; }
grep -q "box: giou" "$work/giou/config.yaml" || fail "config.yaml lost loss.box"
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/sigmoid" --set train.max_iters=2 --set loss.name=sigmoid_focal \
  --set loss.box=ciou > "$work/sigmoid.log" 2>&1 || { cat "$work/sigmoid.log"; fail "training with the sigmoid focal loss and ciou"; }
"$bin/ssd-train" --config "$work/tiny.yaml" --set loss.box=gio --dry-run > "$work/bad_box.log" 2>&1 && fail "an unknown loss.box was accepted"
grep -q "loss.box: value gio is not allowed" "$work/bad_box.log" || { cat "$work/bad_box.log"; fail "the unknown box term is not named"; }

echo "== ssd-eval --metric all: VOC07, VOC and COCO side by side, each named"
"$bin/ssd-eval" --dets "$work/dets.json" --gt "$work/shapes" --split val --classes circle,square,triangle,star \
  --metric all --json-out "$work/all.json" > "$work/all.log" || { cat "$work/all.log"; fail "ssd-eval --metric all"; }
for name in "VOC07 11-point" "VOC all-point" "COCO mAP"; do grep -q "$name" "$work/all.log" || fail "no '$name' table"; done
/usr/bin/python3 - "$work/all.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
assert set(r) == {"voc07", "voc", "coco"}, r
assert r["coco"]["metric"] == "coco" and len(r["coco"]["stats"]) == 12, r["coco"]
assert all(v is None or 0 <= v <= 1 for v in r["coco"]["stats"]), r["coco"]
PY

echo "== ssd-eval --gt with a COCO instances file: COCO's own image and category ids"
/usr/bin/python3 - "$work" <<'PY'
import json, os, sys, xml.etree.ElementTree as ET
work = sys.argv[1]
names = ["circle", "square", "triangle", "star"]
cat_id = {n: 10 * (i + 1) for i, n in enumerate(names)}  # COCO ids that are not 1..4
ids = open(f"{work}/shapes/ImageSets/Main/val.txt").read().split()
gt = {"images": [], "annotations": [], "categories": [{"id": cat_id[n], "name": n} for n in names]}
for k, stem in enumerate(ids):
    root = ET.parse(f"{work}/shapes/Annotations/{stem}.xml").getroot()
    size = root.find("size")
    gt["images"].append({"id": 500 + k, "file_name": stem + ".jpg", "width": int(size.find("width").text), "height": int(size.find("height").text)})
    for obj in root.findall("object"):
        b = obj.find("bndbox")
        x1, y1, x2, y2 = (float(b.find(t).text) for t in ("xmin", "ymin", "xmax", "ymax"))
        gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": 500 + k, "category_id": cat_id[obj.find("name").text],
                                  "bbox": [x1 - 1, y1 - 1, x2 - x1 + 1, y2 - y1 + 1], "iscrowd": 0})
json.dump(gt, open(f"{work}/instances_val.json", "w"))
index = {stem: 500 + k for k, stem in enumerate(ids)}
all_dets = json.load(open(f"{work}/dets.json"))
for d in all_dets:  # detections on training images: images the ground truth does not have, in both formats
    index.setdefault(d["image_id"], 9000 + len(index))
dets = [{"image_id": index[d["image_id"]], "category_id": cat_id[d["category_name"]], "bbox": d["bbox"], "score": d["score"]}
        for d in all_dets]
json.dump(dets, open(f"{work}/dets_coco.json", "w"))
PY
"$bin/ssd-eval" --dets "$work/dets_coco.json" --gt "$work/instances_val.json" --metric all --json-out "$work/coco_gt.json" > "$work/coco_gt.log" \
  || { cat "$work/coco_gt.log"; fail "ssd-eval --gt COCO file"; }
/usr/bin/python3 - "$work/all.json" "$work/coco_gt.json" <<'PY'
import json, sys
voc_gt, coco_gt = (json.load(open(p))["results"] for p in sys.argv[1:])
for m in ("voc07", "voc", "coco"):  # the same objects and detections, read through the other format: the same numbers
    assert abs((voc_gt[m]["mAP"] or 0) - (coco_gt[m]["mAP"] or 0)) < 1e-9, (m, voc_gt[m]["mAP"], coco_gt[m]["mAP"])
PY

echo "== ssd-detect --coco-categories: COCO's own ids, scored against COCO ground truth as written"
/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
gt = json.load(open(f"{work}/instances_val.json"))
new_id = {im["id"]: int(im["file_name"].split(".")[0]) for im in gt["images"]}  # COCO's convention: file name = padded id
for im in gt["images"]: im["id"] = new_id[im["id"]]
for an in gt["annotations"]: an["image_id"] = new_id[an["image_id"]]
json.dump(gt, open(f"{work}/instances_val_ids.json", "w"))
PY
"$bin/ssd-detect" --checkpoint "$work/run" "$work/shapes/JPEGImages" --json-out "$work/dets_ids.json" --score-thresh 0.01 \
  --coco-categories "$work/instances_val_ids.json" > "$work/detect_ids.log" 2>&1 || { cat "$work/detect_ids.log"; fail "ssd-detect --coco-categories"; }
"$bin/ssd-eval" --dets "$work/dets_ids.json" --gt "$work/instances_val_ids.json" --metric all --json-out "$work/coco_ids.json" --no-report \
  > "$work/coco_ids.log" || { cat "$work/coco_ids.log"; fail "ssd-eval on ssd-detect's COCO-id output"; }
/usr/bin/python3 - "$work/dets_ids.json" "$work/all.json" "$work/coco_ids.json" <<'PY'
import json, sys
dets = json.load(open(sys.argv[1]))
assert all(isinstance(d["image_id"], int) and d["category_id"] in (10, 20, 30, 40) for d in dets), dets[:3]
a, b = (json.load(open(p))["results"] for p in sys.argv[2:])
for m in ("voc07", "voc", "coco"):
    assert abs((a[m]["mAP"] or 0) - (b[m]["mAP"] or 0)) < 1e-9, (m, a[m]["mAP"], b[m]["mAP"])
PY

echo "== YOLO data (data.yaml, images/, labels/): train, evaluate and detect through the same commands"
/usr/bin/python3 - "$work" <<'PY'
import os, shutil, sys, xml.etree.ElementTree as ET
work = sys.argv[1]
names = ["circle", "square", "triangle", "star"]
root = f"{work}/yolo"
os.makedirs(root, exist_ok=True)
with open(f"{root}/data.yaml", "w") as f:
    f.write("path: .\ntrain: images/train\nval: images/val\nnames:\n" + "".join(f"  {i}: {n}\n" for i, n in enumerate(names)))
for split in ("train", "val"):
    os.makedirs(f"{root}/images/{split}", exist_ok=True)
    os.makedirs(f"{root}/labels/{split}", exist_ok=True)
    for stem in open(f"{work}/shapes/ImageSets/Main/{split}.txt").read().split():
        shutil.copy(f"{work}/shapes/JPEGImages/{stem}.jpg", f"{root}/images/{split}/{stem}.jpg")
        r = ET.parse(f"{work}/shapes/Annotations/{stem}.xml").getroot()
        W, H = (int(r.find("size").find(t).text) for t in ("width", "height"))
        with open(f"{root}/labels/{split}/{stem}.txt", "w") as out:
            for o in r.findall("object"):
                b = o.find("bndbox")
                x1, y1, x2, y2 = (float(b.find(t).text) for t in ("xmin", "ymin", "xmax", "ymax"))
                x1, y1 = x1 - 1, y1 - 1  # VOC's 1-based inclusive pixels to continuous ones
                out.write(f"{names.index(o.find('name').text)} {(x1 + x2) / 2 / W:.8f} {(y1 + y2) / 2 / H:.8f} {(x2 - x1) / W:.8f} {(y2 - y1) / H:.8f}\n")
PY
"$bin/ssd-train" --config "$work/tiny.yaml" --set data.train.format=yolo --set "data.train.roots=[$work/yolo]" \
  --set data.val.format=yolo --set "data.val.roots=[$work/yolo]" --set "train.run_dir=$work/run_yolo" --set train.max_iters=2 \
  > "$work/yolo_train.log" 2>&1 || { cat "$work/yolo_train.log"; fail "ssd-train on YOLO data"; }
[ -s "$work/run_yolo/best.pt" ] || fail "no best.pt from the YOLO run"
"$bin/ssd-eval" --checkpoint "$work/run_yolo" --data "$work/yolo" --split val --metric voc > "$work/yolo_eval.log" 2>&1 \
  || { cat "$work/yolo_eval.log"; fail "ssd-eval --data on a YOLO root"; }
grep -q "yolo:$work/yolo\[val\]" "$work/yolo_eval.log" || fail "ssd-eval did not read the YOLO layout"
"$bin/ssd-detect" --checkpoint "$work/run_yolo" "$work/yolo/images/val" --json-out "$work/yolo_dets.json" > "$work/yolo_detect.log" 2>&1 \
  || { cat "$work/yolo_detect.log"; fail "ssd-detect on YOLO images"; }
"$bin/ssd-eval" --dets "$work/dets.json" --gt "$work/yolo" --split val --classes circle,square,triangle,star --metric all \
  --json-out "$work/yolo_gt.json" --no-report > "$work/yolo_gt.log" 2>&1 || { cat "$work/yolo_gt.log"; fail "ssd-eval --gt YOLO root"; }
/usr/bin/python3 - "$work/all.json" "$work/yolo_gt.json" <<'PY'
import json, sys
voc_gt, yolo_gt = (json.load(open(p))["results"] for p in sys.argv[1:])
for m in ("voc07", "voc", "coco"):  # the same objects through normalised YOLO rows: the same numbers
    assert abs((voc_gt[m]["mAP"] or 0) - (yolo_gt[m]["mAP"] or 0)) < 1e-6, (m, voc_gt[m]["mAP"], yolo_gt[m]["mAP"])
PY

echo "== ssd-export of SSD-Lite MobileNetV2: the state dict and its loader script, which torchvision's parts take"
"$bin/ssd-export" --checkpoint "$work/run" --out "$work/export/model.pth" > "$work/export.log" 2>&1 \
  || { cat "$work/export.log"; fail "ssd-export of SSD-Lite MobileNetV2"; }
[ -s "$work/export/model.pth" ] && [ -s "$work/export/model.py" ] || fail "ssd-export wrote no model.pth or model.py"
/usr/bin/python3 -c "exec(open('$work/export/model.py').read()); out = model([torch.rand(3, 96, 96)]); assert set(out[0]) == {'boxes', 'scores', 'labels'}" \
  > "$work/export_py.log" 2>&1 || { cat "$work/export_py.log"; fail "the loader script did not build the model around the file"; }

echo "== bad input: a config pointing at a missing data set exits 4 and names the path"
set +e
"$bin/ssd-train" --config "$work/tiny.yaml" --set "data.train.roots=[$work/nowhere]" > "$work/bad.log" 2>&1
code=$?
set -e
[ $code -eq 4 ] || { cat "$work/bad.log"; fail "expected exit code 4, got $code"; }
grep -q "$work/nowhere: data set root not found (data.train.roots)" "$work/bad.log" || fail "message does not name the path"
echo "== ssd-detect: an undecodable image is skipped with its reason (never reported as 0 detections); an empty folder is named"
mkdir -p "$work/mixed" "$work/empty"
cp "$(ls "$work"/shapes/JPEGImages/*.jpg | head -n 1)" "$work/mixed/good.jpg"
echo "not a JPEG" > "$work/mixed/broken.jpg"
"$bin/ssd-detect" --checkpoint "$work/run" "$work/mixed" "$work/empty" > "$work/mixed.log" 2>&1 || { cat "$work/mixed.log"; fail "ssd-detect on a folder with one bad image"; }
grep -q "skipped $work/mixed/broken.jpg: cannot decode image" "$work/mixed.log" || { cat "$work/mixed.log"; fail "the bad image is not named"; }
! grep -q "broken.jpg: 0 detections" "$work/mixed.log" || fail "the bad image was reported as 0 detections"
grep -q "$work/empty: no image files in this folder" "$work/mixed.log" || { cat "$work/mixed.log"; fail "the empty folder is not named"; }
set +e
"$bin/ssd-detect" --checkpoint "$work/run" "$work/empty" > "$work/empty.log" 2>&1
code=$?
set -e
[ $code -eq 4 ] || { cat "$work/empty.log"; fail "ssd-detect on an empty folder: expected exit code 4, got $code"; }
grep -q "data error: $work/empty: no image files found" "$work/empty.log" || { cat "$work/empty.log"; fail "the empty folder is not named in the error"; }

echo "== a missing input is a config error (exit 3) before the model loads: the checkpoint named does not exist"
for cmd in "ssd-detect --checkpoint $work/none.pt" "ssd-export --checkpoint $work/none.pt"; do
  set +e
  $bin/$cmd > "$work/missing.log" 2>&1
  code=$?
  set -e
  [ $code -eq 3 ] || { cat "$work/missing.log"; fail "$cmd: expected exit code 3, got $code"; }
  grep -q "config error: give" "$work/missing.log" || { cat "$work/missing.log"; fail "$cmd: does not ask for the input"; }
done
echo "== a moved run directory resumes where it lies now, not into the directory stored in its checkpoint"
mv "$work/run" "$work/moved"
"$bin/ssd-train" --resume "$work/moved" --set train.max_iters=0 --set train.epochs=3 > "$work/moved.log" 2>&1 || { cat "$work/moved.log"; fail "resume of a moved run"; }
grep -q "the run continues where the checkpoint lies now, in $work/moved" "$work/moved.log" || { cat "$work/moved.log"; fail "no word of the move"; }
grep -q "iter 9/9" "$work/moved.log" || fail "the moved run did not reach iteration 9"
[ ! -e "$work/run" ] || fail "the resumed run wrote into the old run directory"
grep -q "run_dir: $work/moved" "$work/moved/config.yaml" || fail "config.yaml does not name the new run directory"
echo "== a full disk (here a file size limit) while last.pt is written: exit 5 naming the file, last.pt whole, nothing left"
size_kib=$(( $(stat -c %s "$work/moved/last.pt") / 2048 ))
set +e
(ulimit -f "$size_kib"; "$bin/ssd-train" --resume "$work/moved" --set train.epochs=4) > "$work/full.log" 2>&1
code=$?
set -e
[ $code -eq 5 ] || { cat "$work/full.log"; fail "full disk: expected exit code 5, got $code"; }
grep -q "$work/moved/last.pt: cannot write checkpoint: File too large" "$work/full.log" || { cat "$work/full.log"; fail "full disk: no file or cause named"; }
! ls -a "$work/moved" | grep -q '[.]tmp$' || fail "full disk: a temporary file was left behind"
grep -q "iter 12/12" "$work/moved/train.log" || fail "full disk: train.log lost the lines before the failure"
"$bin/ssd-train" --resume "$work/moved" --set train.epochs=4 > "$work/after_full.log" 2>&1 || { cat "$work/after_full.log"; fail "resume after the full disk"; }
grep -q "resumed from $work/moved/last.pt at iteration 9" "$work/after_full.log" || { cat "$work/after_full.log"; fail "not resumed from the last whole last.pt"; }

echo "== a damaged last.pt: --resume takes the newest checkpoint that reads and says so"
python3 - "$work/moved/last.pt" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[len(data) // 2] ^= 0x10
open(path, "wb").write(data)
PY
"$bin/ssd-train" --resume "$work/moved" --set train.epochs=5 > "$work/damaged.log" 2>&1 || { cat "$work/damaged.log"; fail "resume past a damaged last.pt"; }
grep -q "resuming from $work/moved/best.pt .* passed over" "$work/damaged.log" || { cat "$work/damaged.log"; fail "no word of the fallback"; }
grep -q "$work/moved/last.pt: damaged" "$work/damaged.log" || fail "the damaged file is not named"
echo "== ssd-data analyze: the boxes at the model's input, their coverage, fitted default boxes that ssd-train takes"
# Default boxes of 60 px and more leave every box of this data set (10 to 40 px) unmatched, so a fit must improve on
# them whatever boxes the generator drew; the data's own default boxes may already be as good as a fit.
"$bin/ssd-data" analyze --config "$work/tiny.yaml" --out "$work/analysis" \
  --set "model.priors.min_sizes=[60, 70, 80, 85, 90, 93]" --set "model.priors.max_sizes=[70, 80, 85, 90, 93, 96]" \
  > "$work/analyze.log" 2>&1 || { cat "$work/analyze.log"; fail "ssd-data analyze"; }
grep -q "resized to the model's input of 96 x 96 pixels" "$work/analyze.log" || { cat "$work/analyze.log"; fail "no box table"; }
grep -q "100.0% of the boxes have no default box at IoU >= 0.5" "$work/analyze.log" || { cat "$work/analyze.log"; fail "no coverage line"; }
grep -q "unmatched instead of 100.0%" "$work/analyze.log" || { cat "$work/analyze.log"; fail "no proposal that improves"; }
for f in boxes.csv box_sizes.csv box_sizes.png priors.yaml; do [ -s "$work/analysis/$f" ] || fail "missing analysis/$f"; done
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/fitted" --set train.max_iters=1 \
  --set model.priors.min_sizes="$(grep min_sizes "$work/analysis/priors.yaml" | cut -d: -f2)" \
  --set model.priors.max_sizes="$(grep max_sizes "$work/analysis/priors.yaml" | cut -d: -f2)" \
  --set model.priors.aspect_ratios="$(grep aspect_ratios "$work/analysis/priors.yaml" | cut -d: -f2)" > "$work/fitted.log" 2>&1 \
  || { cat "$work/fitted.log"; fail "training with the fitted default boxes"; }
"$bin/ssd-data" analyze --config "$work/missing.yaml" > "$work/analyze_bad.log" 2>&1 && fail "a missing config was accepted"
grep -q "missing.yaml" "$work/analyze_bad.log" || fail "the missing config is not named"
echo "end_to_end: all checks passed"
