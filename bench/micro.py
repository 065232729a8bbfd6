#!/usr/bin/python3
"""Micro benchmarks: the box operations around the network, ssd-micro-bench (Google Benchmark, bench/micro_bench.cpp)
against torchvision.ops and torchvision's SSD code (bench/reference_micro.py) on the same inputs, in one run. Writes
docs/benchmarks/micro.md (and micro.json beside it for bench/all.py).

Usage: bench/micro.py [--threads 0] [--repetitions 5] [--build build] [--out docs/benchmarks/micro.md]
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import ROOT, build_targets, cpu_name, run_json, write_page  # noqa: E402

CASES = [
    ("Nms/8732", "NMS, 8,732 boxes (SSD300's default-box count), IoU 0.45", "`ops::nms`", "`torchvision.ops.nms`"),
    ("Nms/24564", "NMS, 24,564 boxes (SSD512's count)", "`ops::nms`", "`torchvision.ops.nms`"),
    ("BoxIou/8732", "IoU matrix 20 x 8,732", "`ops::box_iou`", "`torchvision.ops.box_iou`"),
    ("MatchAndEncode/32", "matching and encoding, batch of 32 images x 8 objects, SSD300 default boxes",
     "`model::assign_targets`", "SSD's `proposal_matcher` (box_iou, SSDMatcher) + `box_coder.encode_single`, per image"),
    ("Postprocess", "decode + score threshold + per-class top-200 + NMS + best 200, one image, 21 classes",
     "`model::postprocess`", "`SSD.postprocess_detections`"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repetitions", type=int, default=5, help="at least 2 (Google Benchmark reports a median from 2)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "micro.md"))
    a = ap.parse_args()
    if a.repetitions < 2:
        raise SystemExit("bench/micro.py: --repetitions must be at least 2")
    (bench,) = build_targets(a.build, ["ssd-micro-bench"])
    threads = a.threads or os.cpu_count()
    os.environ["OMP_NUM_THREADS"] = str(threads)  # LibTorch's intra-op threads on the C++ side
    started = time.time()
    cpp, _, _ = run_json([bench, f"--benchmark_repetitions={a.repetitions}", "--benchmark_format=json",
                          "--benchmark_report_aggregates_only=true"], whole_output=True)
    py, _, _ = run_json(["/usr/bin/python3", os.path.join(HERE, "reference_micro.py"), "--threads", str(threads)])
    # Google Benchmark's median aggregate, in its unit (ms here), to seconds.
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    ours = {b["run_name"]: b["real_time"] * scale[b["time_unit"]] for b in cpp["benchmarks"] if b.get("aggregate_name") == "median"}
    kept = {b["run_name"]: b.get("kept") for b in cpp["benchmarks"] if b.get("aggregate_name") == "median"}
    import torch
    import torchvision
    lines = [
        "# Micro benchmarks: box operations against torchvision",
        "",
        f"Written by `/usr/bin/python3 bench/micro.py` on {time.strftime('%Y-%m-%d')}: {cpu_name()}, {os.cpu_count()} cores, "
        f"{threads} intra-op threads on both sides, torch {torch.__version__}, torchvision {torchvision.__version__}; the "
        f"run took {(time.time() - started) / 60:.0f} min.",
        "",
        "Same inputs on both sides (low-discrepancy sequences computed in double precision, bench/micro_bench.cpp and "
        "bench/reference_micro.py); C++: Google Benchmark, median of "
        f"{a.repetitions} repetitions; Python: median of timed calls after 3 warm-up calls, at least 1 s of them.",
        "",
        "| case | ours | torchvision | ours ms | torchvision ms | speed ratio | boxes kept (ours / torchvision) |",
        "|---|---|---|---|---|---|---|",
    ]
    summary = {}
    for key, what, ours_name, theirs in CASES:
        c, p = ours[key], py["results"][key]["seconds"]
        k = f"{kept[key]:.0f} / {py['results'][key]['kept']}" if kept.get(key) is not None else ""
        lines.append(f"| {what} | {ours_name} | {theirs} | {1e3 * c:.3f} | {1e3 * p:.3f} | **{p / c:.2f}x** | {k} |")
        summary[key] = {"cpp_s": c, "py_s": p}
    lines += [
        "",
        "Speed ratio: torchvision's median time / ours (above 1: ours is faster). The kept counts must agree: the same "
        "NMS semantics on the same boxes.",
        "",
    ]
    write_page(a.out, lines, summary)


if __name__ == "__main__":
    main()
