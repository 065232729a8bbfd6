#!/usr/bin/python3
"""Runs every benchmark in bench/ (each writes its page under docs/benchmarks/) and writes docs/BENCHMARKS.md: the
index of the pages and the targets of issue 7 with the figures of this run against them.

Usage: bench/all.py [--quick] [--skip-runs] [--build build]
--quick passes --quick to speed.py (the smaller cases) and shortens the others; --skip-runs only rewrites
docs/BENCHMARKS.md from the pages' .json files of the last run.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import ROOT, cpu_name  # noqa: E402

PAGES = os.path.join(ROOT, "docs", "benchmarks")


def run(script, *args):
    print(f"bench/all.py: {script} {' '.join(args)}", file=sys.stderr)
    subprocess.run(["/usr/bin/python3", os.path.join(HERE, script)] + list(args), check=True)


def load(name):
    with open(os.path.join(PAGES, name + ".json")) as f:
        return json.load(f)


def targets():
    """(target, measured, holds) rows from the pages' .json files."""
    speed, micro, pipeline = load("speed"), load("micro"), load("pipeline")
    rows = speed["rows"]

    short = {"vgg16": "VGG", "mobilenet_v3_large": "V3", "mobilenet_v2": "V2"}

    def ratios(backbones, mode):
        picked = [r for r in rows if r["backbone"] in backbones and r["mode"] == mode]
        return [(f"{short[r['backbone']]}@{r['size']} b{r['batch']}", r["py_s"] / r["cpp_s"]) for r in picked]

    def line(target, figures, threshold, fmt="{:.2f}x", higher=True):
        if not figures:
            return target, "not measured in this run", "-"
        ok = all((v >= threshold) if higher else (v <= threshold) for _, v in figures)
        return target, ", ".join(f"{k}: {fmt.format(v)}" for k, v in figures), "yes" if ok else "**no**"

    # Each forward case against the peak measured beside it (speed.py).
    conv_share = [(f"VGG@{r['size']} b{r['batch']}", 100 * r["gflop"] / r["cpp_s"] / r["conv_peak"])
                  for r in rows if r["backbone"] == "vgg16" and r["mode"] == "forward"]
    memory = [(f"{short[r['backbone']]}@{r['size']} b{r['batch']}", r["cpp_mib"] / r["py_mib"])
              for r in rows if r["mode"] == "train"]
    post = micro["Postprocess"]
    lite = ["mobilenet_v3_large", "mobilenet_v2"]
    return [
        line("SSD300/512-VGG16 training >= 1.1x torchvision", ratios(["vgg16"], "train"), 1.1),
        line("SSD-VGG16 forward >= 85% of the convolution peak measured beside it", conv_share, 85, "{:.0f}%"),
        line("SSD-Lite training >= 1.5x", ratios(lite, "train"), 1.5),
        line("SSD-Lite end-to-end inference >= 2x", ratios(lite, "detect"), 2.0),
        line("SSD-VGG16 end-to-end inference >= 1.3x", ratios(["vgg16"], "detect"), 1.3),
        line("decode + NMS >= 2x torchvision's post-processing", [("one image", post["py_s"] / post["cpp_s"])], 2.0),
        line("data pipeline with the full augmentation >= 2x Python + OpenCV",
             [("one core", pipeline["cpp"]["full"] / pipeline["py"]["full"]),
              ("loader", pipeline["cpp"]["loader"] / pipeline["py"]["loader"])], 2.0),
        line("a heavy augment.pipeline (13 steps) >= 2x Python + OpenCV",
             [("one core", pipeline["cpp"]["heavy"] / pipeline["py"]["heavy"]),
              ("loader", pipeline["cpp"]["heavy_loader"] / pipeline["py"]["heavy_loader"])], 2.0),
        line("JPEG decoding >= 90% of the per-core decode limit", [("read + decode", 100 * pipeline["decode_share"])], 90, "{:.0f}%"),
        line("training step waiting for data < 5% (default workers)", [("SSD-Lite shapes", 100 * pipeline["wait_share"])], 5,
             "{:.1f}%", higher=False),
        line("peak resident memory of training <= torchvision's", memory, 1.0, "{:.2f}", higher=False),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-runs", action="store_true")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    started = time.time()
    if not a.skip_runs:
        build = ["--build", a.build]
        run("eval_speed.py", *build, *(["--images", "1000"] if a.quick else []))
        run("speed.py", *build, *(["--quick"] if a.quick else []))
        run("pipeline.py", *build, *(["--seconds", "1"] if a.quick else []))
        run("micro.py", *build)
    lines = [
        "# Benchmarks",
        "",
        "Every figure here is measured by a script in `bench/` (see `bench/README.md`) side by side with a Python "
        "reference on the same machine in one run, and reported as a ratio. `/usr/bin/python3 bench/all.py` reruns "
        "them all and rewrites this page and the pages below"
        + (f" ({(time.time() - started) / 60:.0f} min here, {cpu_name()}, {os.cpu_count()} cores)." if not a.skip_runs else "."),
        "",
        "| page | one part alone |",
        "|---|---|",
        "| [Training steps, forward passes, end-to-end inference](benchmarks/speed.md) | `bench/speed.py` |",
        "| [Data pipeline](benchmarks/pipeline.md) | `bench/pipeline.py` |",
        "| [Micro benchmarks: NMS, IoU, matching, post-processing](benchmarks/micro.md) | `bench/micro.py` |",
        "| [Evaluator (COCO metric)](benchmarks/evaluator.md) | `bench/eval_speed.py` |",
        "",
        "Deployment pages, run on their own (not by this script): [ssd-serve under load](benchmarks/serve.md) "
        "(`bench/serve_load.py`, about 12 minutes) and [ONNX on OpenCV's DNN module](benchmarks/onnx.md) "
        "(`bench/onnx_parity.py`).",
        "",
        "## The CPU targets (issue 7) " + ("from the pages' last runs (each page gives its date)" if a.skip_runs else "in this run"),
        "",
        "| target | measured (speed: reference time / ours; memory: ours / reference) | holds |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {m} | {ok} |" for t, m, ok in targets()]
    lines += [
        "",
        "Where a target is missed, why, and what was tried: [findings](benchmarks/findings.md).",
        "",
        "## GPU",
        "",
        "The CUDA code paths exist and are unit-tested where a CPU can run them: `train.amp` (autocast with dynamic "
        "loss scaling for float16; bfloat16 autocast runs on the CPU too), `runtime.memory_format` (channels-last, "
        "on CUDA by default with AMP), `runtime.cudnn_benchmark`, and loader batches in page-locked memory copied "
        "with non_blocking. `bench/gpu_speed.py` is the GPU suite: ssd-bench and torchvision on the same GPU, "
        "float32 and AMP, training, forward passes and end-to-end inference, against the GPU's measured rates; it "
        "runs where a CUDA build of the project is (`bash bench/gpu_kit.sh` makes one on a GPU machine that has PyTorch "
        "but none of Debian's packages, and runs it; `--device cpu` checks it on a CPU).",
        "",
    ]
    gpu_page = os.path.join(PAGES, "gpu.json")
    if os.path.exists(gpu_page):
        with open(gpu_page) as f:
            lines += [f"Its last run, on {json.load(f)['device']}: [GPU speed](benchmarks/gpu.md).", ""]
    else:
        lines += ["It has not run on a GPU yet: no GPU was available to the runs behind this page, so the suite has "
                  "no CUDA figures yet.", ""]
    with open(os.path.join(ROOT, "docs", "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines))
    print("wrote docs/BENCHMARKS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
