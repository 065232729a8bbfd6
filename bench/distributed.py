"""Data-parallel training on this machine: one process with every core against one process per core (ssd-train
--nproc, Gloo over the loopback interface), in training images per second, and the share of the step spent summing
gradients across the processes, with distributed.bucket_mb swept.

Both sides train the same config on the same generated shapes data (ssd-shapes) with the same whole batch; one
process uses runtime.threads = all cores, --nproc N gives each rank its share of them (cores / N). Images per second
are the training rows of metrics.csv after the first log window (warm-up of the allocator and oneDNN excluded); the
communication share is what ssd-train --nproc logs at the end ("waiting for gradient sums after backward took ..."):
without overlap the whole gradient sum, with distributed.overlap the part that backward did not hide.

Usage: /usr/bin/python3 bench/distributed.py [--model mobilenet_v2] [--iters 24] [--repeats 2] [--buckets 0,1,5,25,100]
                                            [--overlap-buckets 1,5,25]
writes docs/benchmarks/distributed.md and .json (--out). Needs the normal build (bash scripts/build.sh).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import cpu_name  # noqa: E402

BUILD = os.path.join(ROOT, "build")


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return proc.stdout


def images_per_second(run_dir):
    rows = [line.split(",") for line in open(os.path.join(run_dir, "metrics.csv")).read().splitlines()[1:]]
    speeds = [float(r[7]) for r in rows if r[0] == "train"]
    return statistics.median(speeds[1:] if len(speeds) > 1 else speeds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="mobilenet_v2", help="model.backbone (mobilenet_v2: SSD-Lite at 300 px; vgg16: SSD300)")
    ap.add_argument("--width", type=float, default=1.0, help="model.width_mult")
    ap.add_argument("--batch", type=int, default=8, help="train.batch_size, the whole batch")
    ap.add_argument("--iters", type=int, default=24, help="training iterations per case")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each case (their range is the spread reported)")
    ap.add_argument("--buckets", default="0,1,5,25,100", help="distributed.bucket_mb values for the N-process runs")
    ap.add_argument("--overlap-buckets", default="1,5,25", help="distributed.bucket_mb values run again with distributed.overlap")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "distributed"))
    a = ap.parse_args()
    cores = os.cpu_count()
    work = tempfile.mkdtemp(prefix="ssd_distributed_")
    run([os.path.join(BUILD, "ssd-shapes"), "--out", os.path.join(work, "shapes"), "--train", str(a.batch * 8), "--val", "4",
         "--size", "300", "--seed", "5"])
    config = os.path.join(work, "bench.yaml")
    log_period = max(1, a.iters // 6)
    with open(config, "w") as f:
        f.write(f"""data:
  classes: [circle, square, triangle, star]
  train: {{format: voc, roots: [{work}/shapes], splits: [train]}}
model: {{backbone: {a.model}, width_mult: {a.width}, image_size: 300}}
solver: {{lr: 0.001}}
train: {{batch_size: {a.batch}, epochs: 100, max_iters: {a.iters}, log_period: {log_period}, eval_period: 0, checkpoint_period: 0}}
""")
    cases = []

    def case(name, processes, bucket_mb=None, overlap=False):
        run_dir = os.path.join(work, name.replace(" ", "_").replace(",", ""))
        cmd = [os.path.join(BUILD, "ssd-train"), "--config", config, "--set", f"train.run_dir={run_dir}"]
        if processes > 1:
            cmd += ["--nproc", str(processes), "--set", f"distributed.bucket_mb={bucket_mb}",
                    "--set", f"distributed.overlap={'true' if overlap else 'false'}"]
        speeds, shares = [], []
        for repeat in range(a.repeats):
            shutil.rmtree(run_dir, ignore_errors=True)
            out = run(cmd)
            speeds.append(images_per_second(run_dir))
            found = re.search(r"after backward took [0-9.]+ s of the [0-9.]+ s of training steps \(([0-9.]+)%", out)
            if found:
                shares.append(float(found.group(1)) / 100)
        share = re.search(r"gradient sums after backward took ([0-9.]+) s of the ([0-9.]+) s of training steps \(([0-9.]+)%; (\d+) bucket", out)
        cases.append({"case": name, "processes": processes, "threads_per_process": max(1, cores // processes),
                      "bucket_mb": bucket_mb, "overlap": overlap, "images_per_second": statistics.median(speeds),
                      "images_per_second_runs": speeds,
                      "communication_share": statistics.median(shares) if shares else None,
                      "buckets": int(share.group(4)) if share else None})
        print(cases[-1], flush=True)

    case(f"1 process x {cores} threads", 1)
    for mb in [float(x) for x in a.buckets.split(",")]:
        case(f"{cores} processes x 1 thread, bucket_mb {mb:g}", cores, mb)
    for mb in [float(x) for x in a.overlap_buckets.split(",") if x]:
        case(f"{cores} processes x 1 thread, bucket_mb {mb:g}, overlap", cores, mb, overlap=True)
    base = cases[0]["images_per_second"]
    result = {"machine": cpu_name(), "cores": cores, "model": a.model, "width_mult": a.width, "batch": a.batch, "iters": a.iters,
              "cases": cases}
    with open(a.out + ".json", "w") as f:
        json.dump(result, f, indent=1)
    lines = [f"# Data-parallel training on one machine",
             "",
             f"`/usr/bin/python3 bench/distributed.py --model {a.model} --iters {a.iters} --repeats {a.repeats}` on {cpu_name()} ({cores} cores): "
             f"SSD {a.model} (width {a.width:g}) at 300 px, whole batch {a.batch}, {a.iters} iterations per case, "
             "Gloo over the loopback interface. Images per second: median of the training log windows after the first. "
             "Communication: the share of the training steps spent waiting for the gradient sums after backward (copies into the "
             "buckets, all-reduce, copies back; with overlap, what backward did not hide), as ssd-train logs it.",
             "",
             f"Each case ran {a.repeats} times: the median, and the range of the runs.",
             "",
             "| case | images/s (range) | ratio to 1 process | buckets | communication share of a step |",
             "|---|---|---|---|---|"]
    for c in cases:
        share = "" if c["communication_share"] is None else f"{100 * c['communication_share']:.1f}%"
        runs = c["images_per_second_runs"]
        lines.append(f"| {c['case']} | {c['images_per_second']:.2f} ({min(runs):.1f} to {max(runs):.1f}) | "
                     f"{c['images_per_second'] / base:.2f} | {c['buckets'] or ''} | {share} |")
    lines += ["", "Without overlap the gradients are summed after the backward pass; with `distributed.overlap` each bucket's "
              "sum starts from gradient hooks as soon as backward has filled it."]
    with open(a.out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", a.out + ".md")


if __name__ == "__main__":
    main()
