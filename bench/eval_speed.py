#!/usr/bin/python3
"""Evaluator benchmark: ssd-eval's COCO metric against a plain-Python + NumPy implementation of pycocotools'
algorithm (bench/coco_eval_reference.py; pycocotools itself is not packaged in Debian 12), on the same
machine in one run, on a seeded COCO-sized problem (bench/make_eval_fixture.py). Both are timed end to end as a
user runs them: reading both JSON files, matching, accumulating, summarising. The 12 numbers must be identical.

Usage: bench/eval_speed.py [--images 5000] [--repeats 3] [--reference-repeats 1] [--build build] [--out docs/benchmarks/evaluator.md]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import ROOT, cpu_name  # noqa: E402

STAT_NAMES = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of ssd-eval (median reported)")
    ap.add_argument("--reference-repeats", type=int, default=1, help="timed runs of the Python reference (minutes each)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "evaluator.md"))
    args = ap.parse_args()
    ssd_eval = os.path.join(args.build, "ssd-eval")
    if not os.access(ssd_eval, os.X_OK):
        sys.exit(f"{ssd_eval} not found: build first (bash scripts/build.sh)")

    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, os.path.join(HERE, "make_eval_fixture.py"), work, "--images", str(args.images)], check=True)
        gt, res = os.path.join(work, "instances.json"), os.path.join(work, "results.json")
        ours_json = os.path.join(work, "ours.json")
        cmd = [ssd_eval, "--dets", res, "--gt", gt, "--metric", "coco", "--no-report", "--json-out", ours_json]
        timed(cmd)  # warm-up: page cache, first start
        ours_times = [timed(cmd) for _ in range(args.repeats)]
        ref_json = os.path.join(work, "ref.json")
        ref_times = [timed([sys.executable, os.path.join(HERE, "coco_eval_reference.py"), gt, res, ref_json])
                     for _ in range(args.reference_repeats)]
        ours = json.load(open(ours_json))["stats"]
        ref = json.load(open(ref_json))["stats"]
        sizes = json.load(open(gt)), len(json.load(open(res)))

    ours = [-1.0 if v is None else v for v in ours]  # ssd-eval writes null where pycocotools prints -1
    diff = max(abs(a - b) for a, b in zip(ours, ref))
    t_ours, t_ref = statistics.median(ours_times), statistics.median(ref_times)
    gt_data, n_dets = sizes
    lines = [
        "# Evaluator speed: COCO metric",
        "",
        "Regenerate with `/usr/bin/python3 bench/eval_speed.py` (after `bash scripts/build.sh`).",
        "",
        f"Problem: {len(gt_data['images'])} images, {len(gt_data['annotations'])} objects, {n_dets} detections "
        f"({n_dets // max(1, len(gt_data['images']))} per image), {len(gt_data['categories'])} categories, seeded "
        "(`bench/make_eval_fixture.py`).",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} logical cores, Python {platform.python_version()}.",
        "",
        "Reference: `bench/coco_eval_reference.py`, pycocotools' COCOeval algorithm (evaluateImg, accumulate, summarize) "
        "in plain Python + NumPy, because pycocotools is not packaged in Debian 12. Both sides are timed end to end, "
        "JSON reading included, as separate processes.",
        "",
        "| | seconds (median) | runs | spread |",
        "|---|---|---|---|",
        f"| ssd-eval --metric coco | {t_ours:.2f} | {len(ours_times)} | {min(ours_times):.2f} to {max(ours_times):.2f} |",
        f"| Python reference | {t_ref:.2f} | {len(ref_times)} | {min(ref_times):.2f} to {max(ref_times):.2f} |",
        "",
        f"**ssd-eval is {t_ref / t_ours:.1f}x faster** than the Python reference (goal: at least 10x).",
        "",
        f"Largest difference over the 12 numbers: {diff:.2e} ({'identical up to the rounding of sums' if diff < 1e-12 else 'NOT identical'}).",
        "",
        "| " + " | ".join(STAT_NAMES) + " |",
        "|" + "---|" * len(STAT_NAMES),
        "| " + " | ".join(f"{v:.4f}" for v in ours) + " |",
        "",
    ]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    open(args.out, "w").write("\n".join(lines))
    print("\n".join(lines))
    if diff >= 1e-12:  # equal up to the order of summation in the means
        sys.exit("the numbers differ from the reference")


if __name__ == "__main__":
    main()
