"""ssd-export --format onnx, run by OpenCV's DNN module (ssd-detect --onnx), against the checkpoint it came from
(ssd-detect --checkpoint, LibTorch): the same detections within what tolerance, and the time per image of each path,
on the same JPEG files in one run.

    /usr/bin/python3 bench/onnx_parity.py [--images 40]

Models: SSD300-VGG16, SSD-Lite MobileNetV3-Large and SSD-Lite MobileNetV2 at 320 px, four classes, with the weights of bench/serve_load.py
(one training step; made here if missing). Both paths run one process per side over the same files with every core;
the time per image is (time for all files - time for one file) / (files - 1), so loading the model is left out.
Writes docs/benchmarks/onnx.md.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import HERE, MODEL_NAMES, ROOT, cpu_name, jpeg_data_set, write_page  # noqa: E402
from serve_load import WORK, checkpoint  # noqa: E402


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def compare(a_path, b_path):
    """Each detection of one side matched to one of the other of the same image and class with a score within 1e-3 and
    corners within 1 px (the closest); the largest differences among the matched, and the count of the unmatched."""
    a, b = json.load(open(a_path)), json.load(open(b_path))
    left, worst_score, worst_box, unmatched = list(b), 0.0, 0.0, 0
    for d in a:
        distance = lambda e: max(abs(x - y) for x, y in zip(e["bbox"], d["bbox"]))  # noqa: E731
        candidates = [e for e in left if e["image_id"] == d["image_id"] and e["category_id"] == d["category_id"]
                      and abs(e["score"] - d["score"]) < 1e-3 and distance(e) < 1.0]
        if not candidates:
            unmatched += 1
            continue
        m = min(candidates, key=lambda e: abs(e["score"] - d["score"]) + distance(e))
        worst_score = max(worst_score, abs(m["score"] - d["score"]))
        worst_box = max(worst_box, distance(m))
        left.remove(m)
    return {"count_libtorch": len(a), "count_dnn": len(b), "unmatched": unmatched + len(left), "score": worst_score, "box": worst_box}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--score-thresh", type=float, default=0.05)
    ap.add_argument("--checkpoint", help="also a trained checkpoint (the demo's: runs/shapes), on --checkpoint-images")
    ap.add_argument("--checkpoint-images", help="a folder of images for --checkpoint (its validation images)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "onnx.md"))
    a = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    data = jpeg_data_set(a.build, os.path.join(WORK, "jpeg"), images=8, size=500)
    if a.checkpoint and not a.checkpoint_images:
        raise SystemExit("--checkpoint needs --checkpoint-images")
    images_dir = os.path.join(WORK, "jpeg_many")
    jpeg_data_set(a.build, images_dir, images=a.images, size=500)
    files = sorted(os.path.join(images_dir, "JPEGImages", f) for f in os.listdir(os.path.join(images_dir, "JPEGImages")))[:a.images]
    cases = [(backbone, checkpoint(a.build, backbone, data), files) for backbone in ["vgg16", "mobilenet_v3_large", "mobilenet_v2"]]
    if a.checkpoint:
        given = sorted(os.path.join(a.checkpoint_images, f) for f in os.listdir(a.checkpoint_images))[:a.images]
        cases.append(("given", a.checkpoint, given))
    rows = []
    for name, ckpt, images in cases:
        onnx = os.path.join(WORK, f"{name}.onnx")
        subprocess.run([os.path.join(a.build, "ssd-export"), "--checkpoint", ckpt, "--format", "onnx", "--out", onnx], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sides = {"libtorch": ["--checkpoint", ckpt], "opencv_dnn": ["--onnx", onnx]}
        row = {"model": name, "checkpoint": ckpt, "images": len(images)}
        for side, flags in sides.items():
            base = [os.path.join(a.build, "ssd-detect")] + flags + ["--score-thresh", str(a.score_thresh), "--batch", "1"]
            one = timed(base + images[:1])
            every = timed(base + images + ["--json-out", os.path.join(WORK, f"{name}_{side}.json")])
            row[f"seconds_{side}"] = (every - one) / (len(images) - 1)
        row.update(compare(os.path.join(WORK, f"{name}_libtorch.json"), os.path.join(WORK, f"{name}_opencv_dnn.json")))
        print(row, file=sys.stderr)
        rows.append(row)
    lines = ["# ONNX on OpenCV's DNN module against the checkpoint", "",
             f"Machine: {cpu_name()}, {os.cpu_count()} cores. Written by `/usr/bin/python3 bench/onnx_parity.py` "
             f"({len(files)} JPEG files of 500 x 500, score threshold {a.score_thresh}).", "",
             "`ssd-export --format onnx` writes the network (normalisation, backbone, head) as ONNX; `ssd-detect --onnx` runs it on "
             "OpenCV's DNN module and post-processes with the side file's default boxes; `ssd-detect --checkpoint` runs the "
             "checkpoint on LibTorch. Both one image per forward pass (`--batch 1`: OpenCV's importer takes one). "
             "Weights of one training step (bench/serve_load.py): many low-scoring detections, the hardest case for agreement.",
             "", "| model | detections (LibTorch / ONNX) | unmatched | largest score difference | largest box difference (px) | "
             "LibTorch s/image | OpenCV DNN s/image | OpenCV DNN time / LibTorch time |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        label = MODEL_NAMES.get(r["model"], f"`{os.path.relpath(r['checkpoint'], ROOT)}` ({r['images']} images)")
        lines.append(f"| {label} | {r['count_libtorch']} / {r['count_dnn']} | {r['unmatched']} | {r['score']:.2g} | "
                     f"{r['box']:.2g} | {r['seconds_libtorch']:.3f} | {r['seconds_opencv_dnn']:.3f} | "
                     f"{r['seconds_opencv_dnn'] / r['seconds_libtorch']:.2f}x |")
    lines += ["", "Matched: the same image and class, score within 1e-3, corners within 1 px; the largest differences are over "
              "the matched. Unmatched: the detections of either side without such a counterpart (a near-tie that NMS or the "
              "cut at 200 per image resolves the other way, which weights of one training step make common: hundreds of "
              "boxes score alike). The last row, where given (`--checkpoint runs/shapes --checkpoint-images ...`), is a "
              "trained model.", ""]
    write_page(a.out, lines, {"rows": rows})


if __name__ == "__main__":
    main()
