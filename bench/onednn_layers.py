"""oneDNN's own time per step, by primitive and layer shape, in each memory layout: runs ssd-bench with
DNNL_VERBOSE=1 (oneDNN prints every primitive it executes with its time) once per --memory-format and prints, per
layer shape and pass (forward, backward data, backward weights) and per reorder kind, the milliseconds per step of
the timed iterations side by side. A profiling aid for docs/benchmarks/findings.md (no page of its own): it shows
which convolutions a layout makes slower, and what the reorders between layouts cost.

Usage: /usr/bin/python3 bench/onednn_layers.py [--build build] [--formats channels_last contiguous] [--top 30]
                                               [-- ssd-bench flags, e.g. --batch 1 --iters 4]
"""
import argparse
import collections
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import build_targets  # noqa: E402


def flag(args, name, default):
    return int(args[args.index(name) + 1]) if name in args else default


def per_step_times(bench, bench_args, memory_format):
    """{(primitive, pass, shape or formats): ms per timed step} for one run of ssd-bench."""
    cmd = [bench, "--memory-format", memory_format] + bench_args
    out = subprocess.run(cmd, env={**os.environ, "DNNL_VERBOSE": "1"}, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, check=True).stdout
    lines = [l for l in out.splitlines() if l.startswith(("onednn_verbose,exec", "dnnl_verbose,exec"))]
    warmup, iters = flag(bench_args, "--warmup", 2), flag(bench_args, "--iters", 5)
    # Every pass runs the same primitives: the timed ones are the last `iters` of `warmup + iters` equal shares.
    timed = lines[len(lines) * warmup // (warmup + iters):]
    times = collections.defaultdict(float)
    for line in timed:
        f = line.split(",")
        primitive, kind, formats, problem, ms = f[3], f[5], f[6], f[-2], float(f[-1])
        if primitive == "reorder":
            key = (primitive, "", re.sub(r"_f32:+(p:)?blocked|:f0", "", formats) + " " + problem.split("x")[0] + "x..")
        else:
            key = (primitive, kind, re.sub(r"_iw.*", "", problem))
        times[key] += ms / iters
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build"))
    ap.add_argument("--formats", nargs="+", default=["channels_last", "contiguous"])
    ap.add_argument("--top", type=int, default=30, help="rows shown, largest first")
    ap.add_argument("bench_args", nargs="*", help="ssd-bench flags (after --)")
    a = ap.parse_args()
    bench, = build_targets(a.build, ["ssd-bench"])
    runs = {fmt: per_step_times(bench, a.bench_args, fmt) for fmt in a.formats}
    keys = sorted(set().union(*runs.values()), key=lambda k: -max(r.get(k, 0.0) for r in runs.values()))
    print(f"ms per step, `ssd-bench {' '.join(a.bench_args)}` with DNNL_VERBOSE=1\n")
    print("| primitive | pass | layer or reorder | " + " | ".join(a.formats) + " |")
    print("|---|---|---|" + "---|" * len(a.formats))
    print("| all | | | " + " | ".join(f"{sum(runs[f].values()):.1f}" for f in a.formats) + " |")
    for k in keys[:a.top]:
        print(f"| {k[0]} | {k[1]} | {k[2]} | " + " | ".join(f"{runs[f].get(k, 0.0):.2f}" for f in a.formats) + " |")


if __name__ == "__main__":
    main()
