"""Peak memory under load: ssd-eval --dets on results files of growing size (up to several million detections) and
ssd-detect on up to 10,000 images in one call. Memory is bounded when it follows the size of what must be held
(the detections to rank, one batch of images) and not the length of the run.

Each command runs as its own process; its peak resident memory comes from wait4 (bench/common.py). The data are
generated: a shapes validation set of --gt-images images (ssd-shapes), a results file of N random detections over
those images, 10,000 JPEGs (copies of the generated images under distinct names) and a small model trained for one
epoch to detect with (its weights do not matter here).

Usage: /usr/bin/python3 bench/load_memory.py [--detections 300000,1000000,3000000] [--images 1000,10000]
writes docs/benchmarks/load_memory.md and .json (--out). Needs the normal build (bash scripts/build.sh).
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import cpu_name  # noqa: E402

BUILD = os.path.join(ROOT, "build")
CLASSES = ["circle", "square", "triangle", "star"]


def peak(cmd):
    """Runs cmd; returns (peak resident MiB, seconds). Fails on a non-zero exit."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            out.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({status}):\n{out.read().decode(errors='replace')[-3000:]}")
    return usage.ru_maxrss / 1024.0, time.perf_counter() - start


def write_results(path, ids, n, rng):
    """n detections in COCO results form, spread over the images `ids` (300 x 300 pixels)."""
    with open(path, "w") as f:
        f.write("[")
        for i in range(n):
            x, y = rng.uniform(0, 250), rng.uniform(0, 250)
            f.write(("," if i else "") + json.dumps({"image_id": ids[i % len(ids)], "category_id": 1 + i % len(CLASSES),
                                                      "bbox": [round(x, 2), round(y, 2), round(rng.uniform(5, 50), 2),
                                                               round(rng.uniform(5, 50), 2)],
                                                      "score": round(rng.random(), 6)}, separators=(",", ":")))
        f.write("]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--detections", default="300000,1000000,3000000")
    ap.add_argument("--images", default="1000,10000")
    ap.add_argument("--gt-images", type=int, default=1000)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/benchmarks/load_memory.md"))
    ap.add_argument("--work", default="")
    args = ap.parse_args()
    rng = random.Random(1)
    work = args.work or tempfile.mkdtemp(prefix="load_memory_")
    data = os.path.join(work, "shapes")
    subprocess.run([os.path.join(BUILD, "ssd-shapes"), "--out", data, "--train", "32", "--val", str(args.gt_images),
                    "--seed", "0"], check=True, stdout=subprocess.DEVNULL)
    ids = [line.strip() for line in open(os.path.join(data, "ImageSets/Main/val.txt")) if line.strip()]

    rows_eval = []
    for n in [int(x) for x in args.detections.split(",")]:
        results = os.path.join(work, f"results_{n}.json")
        write_results(results, ids, n, rng)
        mib, seconds = peak([os.path.join(BUILD, "ssd-eval"), "--dets", results, "--gt", data, "--split", "val",
                             "--classes", ",".join(CLASSES), "--metric", "all", "--no-report"])
        size = os.path.getsize(results) / 2 ** 20
        rows_eval.append({"detections": n, "file_mib": round(size, 1), "peak_mib": round(mib, 1), "seconds": round(seconds, 1)})
        print(rows_eval[-1], flush=True)
        os.remove(results)

    run = os.path.join(work, "run")
    subprocess.run([os.path.join(BUILD, "ssd-train"), "--config", os.path.join(ROOT, "configs/shapes.yaml"),
                    "--set", f"data.train.roots=[{data}]", "--set", f"data.val.roots=[{data}]", "--set", "data.val.splits=[train]",
                    "--set", "model.width_mult=0.25", "--set", "model.image_size=96", "--set", "train.epochs=1",
                    "--set", "train.batch_size=8", "--set", f"train.run_dir={run}"], check=True, stdout=subprocess.DEVNULL)
    source = [os.path.join(data, "JPEGImages", i + ".jpg") for i in ids]
    rows_detect = []
    for count in [int(x) for x in args.images.split(",")]:
        folder = os.path.join(work, f"images_{count}")
        os.makedirs(folder, exist_ok=True)
        for i in range(count):
            shutil.copyfile(source[i % len(source)], os.path.join(folder, f"{i:06d}.jpg"))
        mib, seconds = peak([os.path.join(BUILD, "ssd-detect"), "--checkpoint", os.path.join(run, "last.pt"), folder,
                             "--json-out", os.path.join(work, "detections.json"), "--output", os.path.join(work, "annotated")])
        rows_detect.append({"images": count, "peak_mib": round(mib, 1), "seconds": round(seconds, 1)})
        print(rows_detect[-1], flush=True)
        shutil.rmtree(folder)
        shutil.rmtree(os.path.join(work, "annotated"), ignore_errors=True)

    result = {"machine": cpu_name(), "gt_images": len(ids), "eval": rows_eval, "detect": rows_detect}
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(result, f, indent=1)
    lines = ["# Peak memory under load", "",
             f"Written by `/usr/bin/python3 bench/load_memory.py --detections {args.detections} --images {args.images}` on "
             f"{result['machine']}. Peak resident memory of each command (its own process, from wait4).", "",
             f"`ssd-eval --dets results.json --gt shapes --metric all --no-report` against {len(ids)} ground-truth images:", "",
             "| detections | results file (MiB) | peak memory (MiB) | seconds |", "|---|---|---|---|"]
    lines += [f"| {r['detections']:,} | {r['file_mib']} | {r['peak_mib']} | {r['seconds']} |" for r in rows_eval]
    lines += ["", "`ssd-detect --checkpoint last.pt FOLDER --json-out detections.json --output annotated/` (SSD-Lite at 96 px, "
              "batch 8; images of 300 x 300 pixels):", "",
              "| images | peak memory (MiB) | seconds |", "|---|---|---|"]
    lines += [f"| {r['images']:,} | {r['peak_mib']} | {r['seconds']} |" for r in rows_detect]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
