#!/usr/bin/python3
"""Speed suite: training steps and forward passes of the project's models (ssd-bench) against torchvision's models of
the same architecture (bench/reference_speed.py), on the same machine in one run, with the same threads, shapes and
batch; each case alternates the two sides, which run as separate processes so that each one's peak resident memory
is its own. Writes docs/benchmarks/speed.md: medians of the timed iterations after warm-up, their spread, and the
ratios (Python time / C++ time: above 1 means the C++ side is faster; memory: C++ / Python).

Usage: bench/speed.py [--quick] [--threads 0] [--iters 5] [--warmup 2] [--out docs/benchmarks/speed.md]
--quick runs the smaller cases only (minutes instead of most of an hour on 2 cores).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from eval_speed import cpu_name  # noqa: E402

# (backbone, image size, mode, batch): the models torchvision has a twin of, at the batches the issue asks for where
# a 2-core CPU finishes them in minutes. SSD-Lite trains from batch 2: batch norm on its 1x1 map needs two values
# per channel (on both sides).
FULL = [("mobilenet_v3_large", 320, "train", b) for b in (2, 8, 32)] + [("mobilenet_v3_large", 320, "forward", b) for b in (1, 8)] + \
       [("vgg16", 300, "train", b) for b in (1, 8)] + [("vgg16", 300, "forward", b) for b in (1, 8)] + \
       [("vgg16", 512, "train", 1), ("vgg16", 512, "forward", 1)]
QUICK = [("mobilenet_v3_large", 320, "train", 8), ("mobilenet_v3_large", 320, "forward", 8), ("vgg16", 300, "train", 1),
         ("vgg16", 300, "forward", 1)]


def peak_mib(cmd):
    """Runs the command under wait4 to read its own peak resident memory."""
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as err:  # a file, not a pipe: a full stderr pipe would block the child
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # wait4, not wait: the child's own peak resident memory
        if status != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({status}):\n{err.read()}")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024.0, time.perf_counter() - start


def machine_peaks(threads):
    """The machine's measured fp32 rates in GFLOP/s: GEMM (2048^3) and a VGG-sized 3x3 convolution (256 -> 256
    channels on 8 x 38 x 38, oneDNN's path), each the best of 5 after warm-up."""
    import torch
    torch.set_num_threads(threads or os.cpu_count())
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    x, w = torch.randn(8, 256, 38, 38), torch.randn(256, 256, 3, 3)
    conv = lambda: torch.nn.functional.conv2d(x, w, padding=1)  # noqa: E731
    for _ in range(2):
        a @ b
        conv()
    def best(f):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
        return min(times)

    gemm = 2 * 2048 ** 3 / best(lambda: a @ b) / 1e9
    conv_gflop = 2 * 8 * 256 * 38 * 38 * 256 * 9 / 1e9
    return gemm, conv_gflop / best(conv)


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

    # ssd-bench is not part of the default build (the tests do not need it).
    subprocess.run(["cmake", "-S", ROOT, "-B", a.build, "-DSSD_BUILD_BENCH=ON"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", a.build, "--target", "ssd-bench", "--parallel", str(os.cpu_count())], check=True,
                   stdout=subprocess.DEVNULL)
    bench = os.path.join(a.build, "ssd-bench")
    threads = a.threads or os.cpu_count()
    rows = []
    started = time.time()
    for backbone, size, mode, batch in (QUICK if a.quick else FULL):
        args = ["--backbone", backbone, "--image-size", str(size), "--classes", str(a.classes), "--batch", str(batch), "--mode", mode,
                "--warmup", str(a.warmup), "--iters", str(a.iters), "--threads", str(threads)]
        cpp, cpp_mib, _ = peak_mib([bench] + args)
        py, py_mib, _ = peak_mib(["/usr/bin/python3", os.path.join(HERE, "reference_speed.py")] + args)
        if cpp["parameters"] != py["parameters"]:
            raise SystemExit(f"{backbone}@{size}: {cpp['parameters']} parameters in C++, {py['parameters']} in torchvision")
        rows.append({"case": (backbone, size, mode, batch), "cpp": cpp, "py": py, "cpp_mib": cpp_mib, "py_mib": py_mib})
        print(f"{backbone}@{size} {mode} batch {batch}: C++ {statistics.median(cpp['times']):.3f} s, "
              f"Python {statistics.median(py['times']):.3f} s", file=sys.stderr)
    peaks = machine_peaks(threads)
    write(a, rows, peaks, threads, time.time() - started)


def write(a, rows, peaks, threads, seconds):
    import torch
    import torchvision
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    names = {"mobilenet_v3_large": "SSD-Lite MobileNetV3-Large", "vgg16": "SSD-VGG16"}
    lines = [
        "# Speed: training steps and forward passes against torchvision",
        "",
        f"Written by `/usr/bin/python3 bench/speed.py{' --quick' if a.quick else ''}` on {time.strftime('%Y-%m-%d')}: "
        f"{cpu_name()}, {os.cpu_count()} cores, {threads} intra-op threads on both sides, torch {torch.__version__} "
        f"(Debian's LibTorch for C++, python3-torch for Python), torchvision {torchvision.__version__}; the run took "
        f"{seconds / 60:.0f} min. Measured peaks of this machine (fp32): GEMM {peaks[0]:.0f} GFLOP/s, 3x3 convolution "
        f"{peaks[1]:.0f} GFLOP/s.",
        "",
        "Each case: the same architecture and parameter count on both sides (torchvision's `ssd300_vgg16`, an SSD512 "
        "from its parts, `ssdlite320_mobilenet_v3_large`), {} classes, a synthetic batch with 3 objects per image, "
        "{} warm-up then {} timed iterations per side; a training step is forward, default-box matching, loss with "
        "hard negative mining, backward and an SGD step. Median seconds per iteration, the spread (min-max) beside it.".format(
            a.classes, a.warmup, a.iters),
        "",
        "| model | input | mode | batch | C++ s/iter | torchvision s/iter | speed ratio | C++ images/s | peak RSS C++ / Python (MiB) | memory ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        backbone, size, mode, batch = r["case"]
        c, p = statistics.median(r["cpp"]["times"]), statistics.median(r["py"]["times"])
        spread = lambda t: f"{min(t):.3f}-{max(t):.3f}"  # noqa: E731
        lines.append(f"| {names[backbone]} | {size} | {mode} | {batch} | {c:.3f} ({spread(r['cpp']['times'])}) | "
                     f"{p:.3f} ({spread(r['py']['times'])}) | **{p / c:.2f}x** | {batch / c:.2f} | "
                     f"{r['cpp_mib']:.0f} / {r['py_mib']:.0f} | {r['cpp_mib'] / r['py_mib']:.2f} |")
    lines += [
        "",
        "Speed ratio: torchvision's median time / ours (above 1: the C++ trainer is faster). Memory ratio: our peak "
        "resident memory / torchvision's, each side in its own process (below 1: ours uses less); the Python side's "
        "includes the interpreter and the torch module.",
        "",
        "Forward passes against the machine's convolution peak (the models' convolution arithmetic, counted by "
        "reference_speed.py, over the median time):",
        "",
        "| model | input | batch | GFLOP per pass | C++ GFLOP/s (% of conv peak) | torchvision GFLOP/s (% of conv peak) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        backbone, size, mode, batch = r["case"]
        if mode != "forward":
            continue
        gflop = r["py"]["forward_flops"] / 1e9
        rate = lambda t: gflop / statistics.median(t)  # noqa: E731
        lines.append(f"| {names[backbone]} | {size} | {batch} | {gflop:.1f} | {rate(r['cpp']['times']):.0f} "
                     f"({100 * rate(r['cpp']['times']) / peaks[1]:.0f}%) | {rate(r['py']['times']):.0f} "
                     f"({100 * rate(r['py']['times']) / peaks[1]:.0f}%) |")
    lines += [
        "",
        "Not measured here yet (issue 7): SSD-Lite MobileNetV2 (torchvision has no twin; a Python model of the same "
        "architecture is to be written), end-to-end inference from JPEG files, the data pipeline, micro benchmarks, and "
        "CUDA.",
        "",
    ]
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("wrote", a.out, file=sys.stderr)


if __name__ == "__main__":
    main()
