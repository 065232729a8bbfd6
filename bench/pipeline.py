#!/usr/bin/python3
"""Data pipeline benchmark: images/s of ssd-train's data pipeline (ssd-pipeline-bench, bench/pipeline_bench.cpp)
against the Python + OpenCV equivalent (bench/reference_pipeline.py: NumPy + cv2 augmentation, torch DataLoader with
worker processes) on the same JPEG files in one run, and the share of a training step that ssd-train spends waiting
for data with its default workers. Writes docs/benchmarks/pipeline.md (and pipeline.json beside it for bench/all.py).

Needs Debian's python3-opencv (`bash scripts/setup.sh --bench` installs it).

Usage: bench/pipeline.py [--images 200] [--seconds 6] [--train-iters 60] [--build build] [--out docs/benchmarks/pipeline.md]
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import ROOT, build_targets, cpu_name, jpeg_data_set, run_json, write_page  # noqa: E402

STAGES = [
    ("decode_limit", "JPEG decode from memory (`cv::imdecode` / `cv2.imdecode`), one core: the per-core decode limit"),
    ("read_decode", "read the file, decode, BGR to RGB, one core"),
    ("augment", "the full SSD augmentation to a normalised 3 x 300 x 300 tensor, one core"),
    ("full", "read, decode and augment, one core"),
    ("loader", "batches of 32 from the loader with the default workers (every core)"),
    ("heavy", "a heavy augment.pipeline (configs/shapes_heavy_augment.yaml: 13 steps) to the normalised tensor, one core"),
    ("heavy_loader", "batches of 32 with that heavy pipeline, default workers"),
]
HEAVY = os.path.join(ROOT, "configs", "shapes_heavy_augment.yaml")


# glibc's tunables that make a Python process keep freed memory in its heap as ssd-train's does (mallopt in
# runtime/cpu_allocator.cpp): by default every array above 128 KiB is a fresh mapping, paid for in page faults.
KEEP_FREED_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}

# The training run of wait_share: a logged window of WINDOW iterations of BATCH images each.
WINDOW, BATCH = 10, 16


def wait_share(train, data, iters, work):
    """ssd-train on the data with configs/shapes.yaml (SSD-Lite MobileNetV2 x0.5 at 256 px, the fastest model in
    configs/, so the one that needs data fastest) for `iters` iterations; returns (the data-wait share of the logged
    windows after the first, which includes the workers' start, images/s over the same windows)."""
    run_dir = os.path.join(work, "run")
    subprocess.run([train, "--config", os.path.join(ROOT, "configs", "shapes.yaml"), "--set", f"data.train.roots=[{data}]",
                    "--set", "data.val.roots=[]", "--set", f"train.run_dir={run_dir}", "--set", f"train.max_iters={iters}",
                    "--set", f"train.log_period={WINDOW}", "--set", f"train.batch_size={BATCH}"],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        rows = [r for r in csv.DictReader(f) if r["kind"] == "train"][1:]
    seconds = [WINDOW * BATCH / float(r["img_per_s"]) for r in rows]
    waited = sum(float(r["data_wait"]) * s for r, s in zip(rows, seconds))
    return waited / sum(seconds), WINDOW * BATCH * len(rows) / sum(seconds)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--train-iters", type=int, default=60)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "pipeline.md"))
    a = ap.parse_args()
    if a.train_iters < 2 * WINDOW:
        raise SystemExit(f"bench/pipeline.py: --train-iters must be at least {2 * WINDOW} (windows of {WINDOW}, the first left out)")
    try:
        import cv2
    except ImportError:
        raise SystemExit("bench/pipeline.py: the Python side needs OpenCV: bash scripts/setup.sh --bench")
    bench, _, train = build_targets(a.build, ["ssd-pipeline-bench", "ssd-shapes", "ssd-train"])
    data = jpeg_data_set(a.build, os.path.join(a.build, "bench_jpegs"), images=a.images)
    started = time.time()
    args = ["--data", data, "--seconds", str(a.seconds), "--heavy", HEAVY]
    cpp, _, _ = run_json([bench] + args)
    reference = ["/usr/bin/python3", os.path.join(HERE, "reference_pipeline.py")] + args
    py, _, _ = run_json(reference)
    py_kept, _, _ = run_json(reference, env=KEEP_FREED_MEMORY)
    work = tempfile.mkdtemp()
    try:
        share, rate = wait_share(train, data, a.train_iters, work)
    finally:
        shutil.rmtree(work)

    import torch
    lines = [
        "# Data pipeline against Python + OpenCV",
        "",
        f"Written by `/usr/bin/python3 bench/pipeline.py` on {time.strftime('%Y-%m-%d')}: {cpu_name()}, {os.cpu_count()} "
        f"cores, OpenCV {cv2.__version__} on both sides, torch {torch.__version__}; the run took "
        f"{(time.time() - started) / 60:.0f} min.",
        "",
        f"Data: {cpp['images']} JPEG files of 500 x 500 pixels (ssd-shapes' textured images, quality 92) in VOC layout. "
        "Ours: ssd-train's own code (DetectionDataset::load, TrainAugmentation, DataLoader with threads). Python: "
        "bench/reference_pipeline.py, the same augmentation in NumPy + cv2 with ssd.pytorch's structure (one HSV round "
        "trip for saturation and hue), a torch DataLoader with worker processes. The heavy rows run the steps of "
        "configs/shapes_heavy_augment.yaml's augment.pipeline (colour, CLAHE, blur, noise, JPEG, zoom-out, affine, IoU "
        "crop, flips): ours through data/augment_steps/, Python through bench/reference_augment_steps.py, the same steps "
        "in NumPy + cv2 as Albumentations builds them, with the same probabilities and ranges (ours makes the image once "
        "for the run of zoom-out, affine map, crop, flips and resize, their maps composed: data/augment_steps/warp.h; the "
        "Python side makes it after each step, and builds zoom-out's enlarged canvas as torchvision's RandomZoomOut "
        "does). Each stage runs for "
        f"{a.seconds:g} s after a warm-up.",
        "",
        "| stage | ours images/s | Python images/s | speed ratio | Python, freed memory kept | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for key, what in STAGES:
        c, p, k = cpp["stages"][key], py["stages"][key], py_kept["stages"][key]
        lines.append(f"| {what} | {c:.0f} | {p:.0f} | **{c / p:.2f}x** | {k:.0f} | {c / k:.2f}x |")
    decode_share = cpp["stages"]["read_decode"] / cpp["stages"]["decode_limit"]
    lines += [
        "",
        "Speed ratio: ours / Python (above 1: ours is faster). Loader workers: ours "
        f"{cpp['workers']} threads, Python {py['workers']} processes. \"Freed memory kept\": the Python side run again with "
        f"{' '.join(f'{k}={v}' for k, v in KEEP_FREED_MEMORY.items())}, glibc's settings for what ssd-train does with "
        "mallopt; by default each decoded image above 128 KiB is a fresh memory mapping there, paid for in page faults. "
        "The targets compare with the default, which is what Python users run.",
        "",
        f"Reading and decoding a file runs at {100 * decode_share:.0f}% of the per-core decode limit (the first row: "
        "decoding bytes already in memory).",
        "",
        f"Training with the default workers (configs/shapes.yaml, SSD-Lite MobileNetV2 x0.5 at 256 px, batch {BATCH}, on these "
        f"files, {a.train_iters} iterations, the first logged window left out): {rate:.1f} images/s, "
        f"**{100 * share:.1f}%** of the time waiting for data.",
        "",
    ]
    write_page(a.out, lines, {"cpp": cpp["stages"], "py": py["stages"], "py_freed_memory_kept": py_kept["stages"], "decode_share": decode_share, "wait_share": share,
                               "train_images_per_s": rate})


if __name__ == "__main__":
    main()
