#!/usr/bin/python3
"""GPU speed suite (issue 7's GPU part): training steps, forward passes and end-to-end inference of the project's
models on one CUDA GPU (ssd-bench --device) against torchvision's models of the same architecture on the same GPU
(reference_speed.py --device), in float32 and with automatic mixed precision on both sides (float16 autocast with
loss scaling); each case alternates the two sides, which run as separate processes. Also the GPU's own rates
(ssd-bench --mode peak: fp32 and fp16 GEMM and 3x3 convolution) and the share of them each forward pass reaches.
Writes docs/benchmarks/gpu.md and its .json, naming the GPU.

Where: a machine with a CUDA GPU, a CUDA build of ssd-bench (LibTorch with CUDA, e.g. the one PyTorch bundles: a
full build, or the core-only one that bench/gpu_kit.sh makes where Debian's packages are missing, which leaves the
detect cases out), and a Python with torch and torchvision for the reference side (--python).

Usage: bench/gpu_speed.py [--device cuda] [--python /usr/bin/python3] [--quick] [--warmup 5] [--iters 20]
                          [--build build] [--out docs/benchmarks/gpu.md]
--device cpu runs the --quick cases on the CPU: a check of this driver and of both sides' device code where no GPU is.
"""
import argparse
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import MODEL_NAMES, ROOT, build_targets, cpu_name, jpeg_data_set, run_json, run_sides, write_page  # noqa: E402

# (backbone, image size, mode, batch, amp). Batches that keep a large GPU busy. AMP is how SSD is trained on GPUs (the
# published anchor, NVIDIA's SSD300 at about 663 images/s on one A100, is an AMP figure): every model with it, the
# SSD300-VGG16 and SSD-Lite MobileNetV3 cases also in float32. Few cases, as a borrowed GPU's minutes are few and
# each case starts two processes.
FULL = [("vgg16", 300, "train", 32, False), ("vgg16", 300, "train", 32, True),
        ("vgg16", 300, "forward", 32, False), ("vgg16", 300, "forward", 32, True),
        ("vgg16", 512, "train", 16, True),
        ("mobilenet_v3_large", 320, "train", 64, False), ("mobilenet_v3_large", 320, "train", 64, True),
        ("mobilenet_v3_large", 320, "forward", 64, True),
        ("mobilenet_v2", 320, "train", 64, True),
        ("vgg16", 300, "detect", 8, False), ("mobilenet_v3_large", 320, "detect", 8, False)]
# Small enough for a CPU: torch 1.13's CPU kernels have no bfloat16 backward for SSD-Lite's ReLU6, so AMP is timed on
# the forward pass there.
QUICK = [("mobilenet_v3_large", 320, "train", 2, False), ("mobilenet_v3_large", 320, "forward", 2, False),
         ("mobilenet_v3_large", 320, "forward", 2, True), ("mobilenet_v3_large", 320, "detect", 2, False)]
# AMP cases timed once more with torchvision in channels-last (our side's layout with AMP on CUDA): how much of the
# difference is the layout, which a torchvision user can also choose.
TORCHVISION_CHANNELS_LAST = [("vgg16", 300, "train", 32, True), ("mobilenet_v3_large", 320, "forward", 2, True)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="cuda, cuda:N, or cpu (the --quick cases, to check the driver)")
    ap.add_argument("--python", default="/usr/bin/python3", help="the Python with torch and torchvision")
    ap.add_argument("--quick", action="store_true", help="the small cases only")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--classes", type=int, default=21)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "gpu.md"))
    a = ap.parse_args()
    on_cpu = a.device == "cpu"

    bench, = build_targets(a.build, ["ssd-bench"])
    # A core-only build (SSD_CORE_ONLY, bench/gpu_kit.sh's) has no image libraries: no JPEG files, no detect cases.
    with open(os.path.join(a.build, "CMakeCache.txt")) as f:
        core_only = re.search(r"^SSD_CORE_ONLY:BOOL=(ON|1|TRUE|YES|Y)$", f.read(), re.M | re.I) is not None
    if not core_only:
        build_targets(a.build, ["ssd-shapes"])
        images = os.path.join(jpeg_data_set(a.build, os.path.join(a.build, "bench_jpegs")), "JPEGImages")
    reference = [a.python, os.path.join(HERE, "reference_speed.py")]
    started = time.time()
    peaks, _, _ = run_json([bench, "--mode", "peak", "--device", a.device])
    rows = []
    device_name, torchvision_version = cpu_name() if on_cpu else a.device, "?"
    cases = [c for c in (QUICK if a.quick or on_cpu else FULL) if not (core_only and c[2] == "detect")]
    for case in cases:
        backbone, size, mode, batch, amp = case
        args = ["--backbone", backbone, "--image-size", str(size), "--classes", str(a.classes), "--batch", str(batch),
                "--mode", mode, "--warmup", str(a.warmup), "--iters", str(a.iters), "--device", a.device]
        args += ["--images", images] if mode == "detect" else []
        args += ["--amp"] if amp else []
        cpp, _, py, _ = run_sides(bench, reference, args)
        rows.append({"backbone": backbone, "size": size, "mode": mode, "batch": batch, "amp": amp,
                     "cpp_s": statistics.median(cpp["times"]), "py_s": statistics.median(py["times"]),
                     "cpp_spread": [min(cpp["times"]), max(cpp["times"])], "py_spread": [min(py["times"]), max(py["times"])],
                     "gflop": py["forward_flops"] / 1e9, "cpp_memory_format": cpp["memory_format"]})
        if case in TORCHVISION_CHANNELS_LAST:
            py_cl, _, _ = run_json(reference + args + ["--memory-format", "channels_last"])
            rows[-1]["py_channels_last_s"] = statistics.median(py_cl["times"])
        device_name, torchvision_version = py["device_name"] or device_name, py["torchvision"]
        print(f"{backbone}@{size} {mode} batch {batch}{' amp' if amp else ''}: C++ {rows[-1]['cpp_s']:.4f} s, "
              f"Python {rows[-1]['py_s']:.4f} s", file=sys.stderr)
        # The page after every case: a run stopped by a time limit (a borrowed GPU's) still leaves what it measured.
        write(a, rows, peaks, device_name, torchvision_version, core_only, time.time() - started, len(cases))


def write(a, rows, peaks, device_name, torchvision_version, core_only, seconds, planned):
    def spread(lo_hi):
        return f"{lo_hi[0]:.4f}-{lo_hi[1]:.4f}"

    lines = [
        "# GPU speed: training, forward passes, end-to-end inference",
        "",
        f"Written by `bench/gpu_speed.py --device {a.device}` on {time.strftime('%Y-%m-%d')}: {device_name}, "
        f"torchvision {torchvision_version}; the run took {seconds / 60:.0f} min"
        + ("" if len(rows) == planned else f" and stopped after {len(rows)} of its {planned} cases")
        + f". Medians of {a.iters} iterations after "
        f"{a.warmup} of warm-up (min-max beside them)"
        + ("." if a.device == "cpu" else
           ", each iteration ending with a device synchronisation; in training and forward cases both sides copy the "
           "batch from page-locked host memory to the GPU in every iteration, as a data loader hands it over (detect "
           "cases decode JPEG files on the CPU and copy each image)."),
        "",
        f"Measured rates of this device: fp32 GEMM {peaks['gemm_gflops']:.0f} GFLOP/s, fp32 3x3 convolution "
        f"{peaks['conv_gflops']:.0f} GFLOP/s"
        + ("" if a.device == "cpu" else " (cuDNN's default TF32 on the tensor cores, as the models' float32 convolutions "
           "run on both sides)")
        + (f", fp16 GEMM {peaks['gemm_fp16_gflops']:.0f} GFLOP/s, fp16 3x3 convolution "
           f"{peaks['conv_fp16_gflops']:.0f} GFLOP/s" if "conv_fp16_gflops" in peaks else "")
        + " (`ssd-bench --mode peak`, the best of 10).",
        "",
        "| model | input | mode | batch | precision | C++ s/iter | torchvision s/iter | speed ratio | C++ images/s | "
        "torchvision images/s | C++ layout |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {MODEL_NAMES[r['backbone']]} | {r['size']} | {r['mode']} | {r['batch']} | {'AMP' if r['amp'] else 'fp32'} | "
            f"{r['cpp_s']:.4f} ({spread(r['cpp_spread'])}) | {r['py_s']:.4f} ({spread(r['py_spread'])}) | "
            f"**{r['py_s'] / r['cpp_s']:.2f}x** | {r['batch'] / r['cpp_s']:.1f} | {r['batch'] / r['py_s']:.1f} | "
            f"{r['cpp_memory_format']} |")
    lines += [
        "",
        "Speed ratio: torchvision's median time / ours (above 1: the C++ trainer is faster). Precision AMP: "
        + ("bfloat16 autocast on both sides (on the CPU; float16 with loss scaling on CUDA)" if a.device == "cpu" else
           "float16 autocast with dynamic loss scaling on both sides (`train.amp: true`; torch.autocast with a "
           "GradScaler)")
        + "; each side in its default memory layout (ours: `runtime.memory_format: auto`, channels-last on the CPU "
        "and with AMP on CUDA; torchvision's: contiguous).",
        "",
    ]
    layout_rows = [r for r in rows if "py_channels_last_s" in r]
    if layout_rows:
        lines += ["torchvision timed once more in channels-last (`model.to(memory_format=torch.channels_last)`), the "
                  "layout our side uses there: how much of the ratio is the layout.", "",
                  "| model | input | mode | batch | precision | torchvision channels-last s/iter | speed ratio against it |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {MODEL_NAMES[r['backbone']]} | {r['size']} | {r['mode']} | {r['batch']} | "
                  f"{'AMP' if r['amp'] else 'fp32'} | {r['py_channels_last_s']:.4f} | "
                  f"**{r['py_channels_last_s'] / r['cpp_s']:.2f}x** |" for r in layout_rows]
        lines += [""]
    lines += [
        "Forward passes against the device's convolution rate (the models' convolution arithmetic over the median "
        "time; fp32 against the fp32 rate, AMP on CUDA against the fp16 one):",
        "",
        "| model | input | batch | precision | GFLOP per pass | C++ GFLOP/s (% of the rate) | torchvision GFLOP/s (% of the rate) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["mode"] != "forward":
            continue
        rate = peaks.get("conv_fp16_gflops", peaks["conv_gflops"]) if r["amp"] else peaks["conv_gflops"]
        cpp, py = r["gflop"] / r["cpp_s"], r["gflop"] / r["py_s"]
        lines.append(f"| {MODEL_NAMES[r['backbone']]} | {r['size']} | {r['batch']} | {'AMP' if r['amp'] else 'fp32'} | "
                     f"{r['gflop']:.1f} | {cpp:.0f} ({100 * cpp / rate:.0f}%) | {py:.0f} ({100 * py / rate:.0f}%) |")
    lines += [
        "",
        "The published anchor for SSD300 training on one A100 is about 663 images/s with AMP (NVIDIA's ResNet-50 "
        "SSD300, with a GPU data pipeline): another backbone and GPU, so a point of reference, not a ratio.",
        "",
    ]
    if core_only:
        lines += ["End-to-end inference (detect) was not timed: this run's build was core-only (SSD_CORE_ONLY, without "
                  "the image libraries that decode JPEG files).", ""]
    write_page(a.out, lines, {"device": device_name, "peaks": peaks, "rows": rows})


if __name__ == "__main__":
    main()
