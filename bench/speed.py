#!/usr/bin/python3
"""Speed suite: training steps, forward passes and end-to-end inference on JPEG files of the project's models
(ssd-bench) against torchvision's models of the same architecture (bench/reference_speed.py), on the same machine in one run, with the same threads, shapes and
batch; each case alternates the two sides, which run as separate processes so that each one's peak resident memory
is its own. Writes docs/benchmarks/speed.md: medians of the timed iterations after warm-up, their spread, and the
ratios (Python time / C++ time: above 1 means the C++ side is faster; memory: C++ / Python).

Usage: bench/speed.py [--quick] [--threads 0] [--iters 5] [--warmup 2] [--out docs/benchmarks/speed.md]
--quick runs the smaller cases only (minutes instead of most of an hour on 2 cores).
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import MODEL_NAMES, ROOT, build_targets, cpu_name, jpeg_data_set, run_json, run_sides, write_page  # noqa: E402

# (backbone, image size, mode, batch): the models torchvision has a twin of, at the batches the issue asks for where
# a 2-core CPU finishes them in minutes. SSD-Lite trains from batch 2: batch norm on its 1x1 map needs two values
# per channel (on both sides).
FULL = [("mobilenet_v3_large", 320, "train", b) for b in (2, 8, 32)] + [("mobilenet_v3_large", 320, "forward", b) for b in (1, 8)] + \
       [("vgg16", 300, "train", b) for b in (1, 8, 32)] + [("vgg16", 300, "forward", b) for b in (1, 8)] + \
       [("vgg16", 512, "train", 1), ("vgg16", 512, "forward", 1)] + \
       [("mobilenet_v2", 320, "train", b) for b in (2, 8, 32)] + [("mobilenet_v2", 320, "forward", b) for b in (1, 8)] + \
       [(m, s, "detect", b) for m, s in (("mobilenet_v3_large", 320), ("mobilenet_v2", 320), ("vgg16", 300)) for b in (1, 8)]
# (warm-up, timed iterations) for the cases too long for the defaults on 2 cores (a minute per step in Python).
LONG = {("vgg16", 300, "train", 32): (1, 2)}
# Cases run once more with the other memory layout on each side (ours contiguous, torchvision channels-last): how
# much of the difference is the layout (runtime.memory_format) and how much the rest.
OTHER_LAYOUTS = [("vgg16", 300, "train", 8), ("vgg16", 300, "forward", 8), ("mobilenet_v3_large", 320, "train", 8),
                 ("mobilenet_v3_large", 320, "forward", 8)]
# Cases run once more with train.amp on both sides: bfloat16 autocast, which this CPU may run natively
# (AVX512-BF16); SSD-VGG only, as torch 1.13's CPU kernels lack bfloat16 backward passes SSD-Lite needs (ReLU6).
AMP = [("vgg16", 300, "train", 8), ("vgg16", 300, "forward", 8)]
# The same cases on our side with the other settings of runtime.allocator (keep, glibc): what the default
# (huge_pages) gains, and the memory that keep trades for speed.
OTHER_ALLOCATORS = [("mobilenet_v3_large", 320, "train", 32), ("vgg16", 300, "train", 8), ("vgg16", 300, "forward", 8)]
QUICK = [("mobilenet_v3_large", 320, "train", 8), ("mobilenet_v3_large", 320, "forward", 8), ("vgg16", 300, "train", 1),
         ("vgg16", 300, "forward", 1), ("mobilenet_v2", 320, "train", 8), ("mobilenet_v3_large", 320, "detect", 8),
         ("vgg16", 300, "detect", 1)]


def machine_peaks(threads, bench):
    """The machine's measured fp32 rates in GFLOP/s: GEMM (2048^3) and a VGG-sized 3x3 convolution (256 -> 256
    channels on 8 x 38 x 38, oneDNN's path, the faster of the contiguous and channels-last layouts), each the best of
    5 after warm-up here and the best of 10 in ssd-bench --mode peak: the better of the two (single measurements on
    a shared virtual machine vary by up to 3x)."""
    import torch
    torch.set_num_threads(threads or os.cpu_count())
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    x, w = torch.randn(8, 256, 38, 38), torch.randn(256, 256, 3, 3)
    x_cl, w_cl = x.contiguous(memory_format=torch.channels_last), w.contiguous(memory_format=torch.channels_last)
    conv = lambda: torch.nn.functional.conv2d(x, w, padding=1)  # noqa: E731
    conv_cl = lambda: torch.nn.functional.conv2d(x_cl, w_cl, padding=1)  # noqa: E731
    for _ in range(2):
        a @ b
        conv()
        conv_cl()
    def best(f):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
        return min(times)

    gemm = 2 * 2048 ** 3 / best(lambda: a @ b) / 1e9
    conv_gflop = 2 * 8 * 256 * 38 * 38 * 256 * 9 / 1e9
    cpp, _, _ = run_json([bench, "--mode", "peak", "--threads", str(threads)])
    return max(gemm, cpp["gemm_gflops"]), max(conv_gflop / best(conv), conv_gflop / best(conv_cl), cpp["conv_gflops"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--classes", type=int, default=21)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "speed.md"))
    a = ap.parse_args()

    bench, _ = build_targets(a.build, ["ssd-bench", "ssd-shapes"])
    images = jpeg_data_set(a.build, os.path.join(a.build, "bench_jpegs"))
    threads = a.threads or os.cpu_count()
    rows = []
    started = time.time()
    def case_args(backbone, size, mode, batch):
        warmup, iters = LONG.get((backbone, size, mode, batch), (a.warmup, a.iters))
        args = ["--backbone", backbone, "--image-size", str(size), "--classes", str(a.classes), "--batch", str(batch), "--mode", mode,
                "--warmup", str(warmup), "--iters", str(iters), "--threads", str(threads)]
        return args + (["--images", os.path.join(images, "JPEGImages")] if mode == "detect" else [])

    reference = ["/usr/bin/python3", os.path.join(HERE, "reference_speed.py")]

    def median_s(side, case, *extra):
        """Median seconds per iteration of one side ([bench] or reference) on a case, with extra flags."""
        return statistics.median(run_json(side + case_args(*case) + list(extra))[0]["times"])

    def conv_peak():
        """ssd-bench --mode peak's 3x3 convolution GFLOP/s (the better layout, best of 10), measured now."""
        return run_json([bench, "--mode", "peak", "--threads", str(threads)])[0]["conv_gflops"]

    for backbone, size, mode, batch in (QUICK if a.quick else FULL):
        args = case_args(backbone, size, mode, batch)
        # A forward case is compared with the convolution peak measured right before and right after it: this
        # virtual machine's speed drifts by 10-20% within an hour, so a peak timed once, minutes away from the
        # case, can land on a faster or slower stretch than the case itself.
        before = conv_peak() if mode == "forward" else None
        cpp, cpp_mib, py, py_mib = run_sides(bench, reference, args)
        rows.append({"case": (backbone, size, mode, batch), "cpp": cpp, "py": py, "cpp_mib": cpp_mib, "py_mib": py_mib})
        if before is not None:
            rows[-1]["conv_peak"] = max(before, conv_peak())
        print(f"{backbone}@{size} {mode} batch {batch}: C++ {statistics.median(cpp['times']):.3f} s, "
              f"Python {statistics.median(py['times']):.3f} s", file=sys.stderr)
    for row in rows:
        if row["case"] in OTHER_LAYOUTS:
            row["layouts"] = {"cpp_contiguous": median_s([bench], row["case"], "--memory-format", "contiguous"),
                              "py_channels_last": median_s(reference, row["case"], "--memory-format", "channels_last")}
        if row["case"] in AMP:
            row["amp"] = {"cpp": median_s([bench], row["case"], "--amp"), "py": median_s(reference, row["case"], "--amp")}
    for row in rows:
        if row["case"] in OTHER_ALLOCATORS:
            row["allocators"] = {}
            for allocator in ("keep", "glibc"):
                cpp, cpp_mib, _ = run_json([bench] + case_args(*row["case"]) + ["--allocator", allocator])
                row["allocators"][allocator] = {"s": statistics.median(cpp["times"]), "mib": cpp_mib}
    gemm_peak, conv_peak_now = machine_peaks(threads, bench)
    peaks = (gemm_peak, max([conv_peak_now] + [r["conv_peak"] for r in rows if "conv_peak" in r]))
    write(a, rows, peaks, threads, time.time() - started)


def write(a, rows, peaks, threads, seconds):
    import torch
    import torchvision
    lines = [
        "# Speed: training steps, forward passes and end-to-end inference against torchvision",
        "",
        f"Written by `/usr/bin/python3 bench/speed.py{' --quick' if a.quick else ''}` on {time.strftime('%Y-%m-%d')}: "
        f"{cpu_name()}, {os.cpu_count()} cores, {threads} intra-op threads on both sides, torch {torch.__version__} "
        f"(Debian's LibTorch for C++, python3-torch for Python), torchvision {torchvision.__version__}; the run took "
        f"{seconds / 60:.0f} min. Measured peaks of this machine (fp32): GEMM {peaks[0]:.0f} GFLOP/s, 3x3 convolution "
        f"{peaks[1]:.0f} GFLOP/s (the best of its measurements in this run).",
        "",
        "Each case: the same architecture and parameter count on both sides (torchvision's `ssd300_vgg16`, an SSD512 "
        "from its parts, `ssdlite320_mobilenet_v3_large`, and for SSD-Lite MobileNetV2, which torchvision has no builder for, "
        "`bench/ssdlite_mobilenet_v2.py` made of torchvision's parts), {} classes, a synthetic batch with 3 objects per image, "
        "{} warm-up then {} timed iterations per side ({}); each side in its default memory layout (ours "
        "channels-last on the CPU, torchvision's contiguous; both ways compared below); a training step is forward, default-box matching, loss with "
        "hard negative mining, backward and an SGD step. A detect iteration is end-to-end inference on a batch of JPEG "
        "files (500 x 500, ssd-shapes' textured images, quality 92): read and decode, resize and normalise, forward, "
        "decode boxes, per-class NMS, boxes in pixels; ssd-detect's code on our side (thresholds 0.01 / 0.45, 200 per "
        "class, 200 per image), on torchvision's `torchvision.io.read_image` and the model called on the list of "
        "images with the same thresholds. Both models are untrained (seeded initialisation), so nearly every class "
        "score passes the threshold and the post-processing does its full work on both sides (detections per image in "
        "the last batch, C++ / torchvision: {}). Median seconds per iteration, the spread (min-max) beside it.".format(
            a.classes, a.warmup, a.iters,
            "; ".join(f"{MODEL_NAMES[k[0]]} {k[1]} {k[2]} batch {k[3]}: {w} and {n}" for k, (w, n) in LONG.items()),
            ", ".join(f"{MODEL_NAMES[r['case'][0]]} b{r['case'][3]}: {r['cpp']['detections'] / r['case'][3]:.0f} / "
                      f"{r['py']['detections'] / r['case'][3]:.0f}" for r in rows if r["case"][2] == "detect") or "no detect cases"),
        "",
        "| model | input | mode | batch | C++ s/iter | torchvision s/iter | speed ratio | C++ images/s | peak RSS C++ / Python (MiB) | memory ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        backbone, size, mode, batch = r["case"]
        c, p = statistics.median(r["cpp"]["times"]), statistics.median(r["py"]["times"])
        spread = lambda t: f"{min(t):.3f}-{max(t):.3f}"  # noqa: E731
        lines.append(f"| {MODEL_NAMES[backbone]} | {size} | {mode} | {batch} | {c:.3f} ({spread(r['cpp']['times'])}) | "
                     f"{p:.3f} ({spread(r['py']['times'])}) | **{p / c:.2f}x** | {batch / c:.2f} | "
                     f"{r['cpp_mib']:.0f} / {r['py_mib']:.0f} | {r['cpp_mib'] / r['py_mib']:.2f} |")
    lines += [
        "",
        "Speed ratio: torchvision's median time / ours (above 1: the C++ trainer is faster). Memory ratio: our peak "
        "resident memory / torchvision's, each side in its own process (below 1: ours uses less); the Python side's "
        "includes the interpreter and the torch module.",
        "",
        "Forward passes against the machine's convolution peak (the models' convolution arithmetic, counted by "
        "reference_speed.py, over the median time). Each case against the peak measured right before and right "
        "after it (`ssd-bench --mode peak`, the better of the two), as the machine's speed drifts over a run; the "
        "last column against the best peak of the whole run:",
        "",
        "| model | input | batch | GFLOP per pass | conv peak beside it (GFLOP/s) | C++ GFLOP/s (% of that peak) | "
        "torchvision GFLOP/s (% of that peak) | C++ % of the run's best peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        backbone, size, mode, batch = r["case"]
        if mode != "forward":
            continue
        gflop = r["py"]["forward_flops"] / 1e9
        rate = lambda t: gflop / statistics.median(t)  # noqa: E731
        beside = r["conv_peak"]
        lines.append(f"| {MODEL_NAMES[backbone]} | {size} | {batch} | {gflop:.1f} | {beside:.0f} | {rate(r['cpp']['times']):.0f} "
                     f"({100 * rate(r['cpp']['times']) / beside:.0f}%) | {rate(r['py']['times']):.0f} "
                     f"({100 * rate(r['py']['times']) / beside:.0f}%) | {100 * rate(r['cpp']['times']) / peaks[1]:.0f}% |")
    def section(key, intro, header, cells):
        """A table of the rows that carry `key`: the case's columns, then cells(row, C++ median, Python median)."""
        picked = [r for r in rows if key in r]
        if not picked:
            return []
        out = ["", intro, "", "| model | input | mode | batch | " + " | ".join(header) + " |",
               "|---|---|---|---|" + "---|" * len(header)]
        for r in picked:
            backbone, size, mode, batch = r["case"]
            c, p = statistics.median(r["cpp"]["times"]), statistics.median(r["py"]["times"])
            out.append(f"| {MODEL_NAMES[backbone]} | {size} | {mode} | {batch} | " + " | ".join(cells(r, c, p)) + " |")
        return out

    lines += section(
        "layouts",
        "Memory layout (`runtime.memory_format`): our default on the CPU is channels-last (auto), torchvision's is "
        "contiguous (NCHW), and oneDNN's convolutions run faster on channels-last tensors. The same cases with the "
        "other layout on each side, so that the layout's share of the difference shows; the last column compares "
        "both sides in channels-last.",
        ["C++ s/iter: channels-last (default) / contiguous", "torchvision s/iter: contiguous (default) / channels-last",
         "ratio, both contiguous", "ratio, both channels-last"],
        lambda r, c, p: [f"{c:.3f} / {r['layouts']['cpp_contiguous']:.3f}", f"{p:.3f} / {r['layouts']['py_channels_last']:.3f}",
                         f"{p / r['layouts']['cpp_contiguous']:.2f}x", f"{r['layouts']['py_channels_last'] / c:.2f}x"])
    lines += section(
        "amp",
        "Mixed precision on the CPU (`train.amp`, bfloat16 autocast; torchvision under `torch.autocast('cpu', "
        "torch.bfloat16)`), against float32 on each side. Not a default: bfloat16 keeps 8 bits of mantissa, and "
        "its effect on the final mAP is the user's call; "
        + ("this CPU has AVX512-BF16 instructions." if "avx512_bf16" in open("/proc/cpuinfo").read()
           else "this CPU has no bfloat16 instructions (emulated)."),
        ["C++ s/iter: float32 / bfloat16", "torchvision s/iter: float32 / bfloat16", "ratio in bfloat16"],
        lambda r, c, p: [f"{c:.3f} / {r['amp']['cpp']:.3f}", f"{p:.3f} / {r['amp']['py']:.3f}",
                         f"{r['amp']['py'] / r['amp']['cpp']:.2f}x"])
    lines += section(
        "allocators",
        "`runtime.allocator` on our side (runtime/cpu_allocator.h): huge_pages (the default: tensors of 4 MiB and "
        "more on their own 2 MiB-aligned mappings with transparent huge pages, a freed one reused for the next "
        "tensors it can hold, the oldest returned so that no more is mapped than was ever in use at once plus 32 MiB; "
        "smaller "
        "ones from glibc's heap), keep (glibc without per-block mappings: freed memory stays for the next step) and "
        "glibc (its defaults: each block over 32 MiB mapped afresh and faulted in 4 KiB at a time on every step, as "
        "on the Python side).",
        ["C++ s/iter: huge_pages / keep / glibc", "torchvision s/iter", "peak RSS MiB: huge_pages / keep / glibc / torchvision"],
        lambda r, c, p: [f"{c:.3f} / {r['allocators']['keep']['s']:.3f} / {r['allocators']['glibc']['s']:.3f}", f"{p:.3f}",
                         f"{r['cpp_mib']:.0f} / {r['allocators']['keep']['mib']:.0f} / {r['allocators']['glibc']['mib']:.0f} / "
                         f"{r['py_mib']:.0f}"])
    lines += [
        "",
        "Not measured here (issue 7): CUDA (no GPU on this machine): float16 AMP with loss scaling, "
        "runtime.cudnn_benchmark, pinned loader batches and channels-last with tensor cores are written but wait for a "
        "GPU to be measured by bench/gpu_speed.py.",
        "",
    ]
    # The figures for bench/all.py's summary of the targets.
    summary = [{"backbone": r["case"][0], "size": r["case"][1], "mode": r["case"][2], "batch": r["case"][3],
                "cpp_s": statistics.median(r["cpp"]["times"]), "py_s": statistics.median(r["py"]["times"]),
                "cpp_mib": r["cpp_mib"], "py_mib": r["py_mib"], "gflop": r["py"]["forward_flops"] / 1e9,
                "conv_peak": r.get("conv_peak"),
                "allocators": r.get("allocators"), "layouts": r.get("layouts"), "amp": r.get("amp")} for r in rows]
    write_page(a.out, lines, {"conv_peak": peaks[1], "gemm_peak": peaks[0], "rows": summary})


if __name__ == "__main__":
    main()
