#!/usr/bin/python3
"""The LR range test's rules and its race against a grid of LR0: which pick to trust.

For each case (a generated data set x an optimizer x a model), on the case's own data:
  1. the range test with the race (ssd-train --range-test --race --set range_test.race=always): the three rules' picks
     (steepest, minimum/10, valley) and the race's winner, with its default rungs (range_test.race_rungs restart: each
     rung trains every candidate's whole schedule from scratch) and with rungs that continue the planned run (continue);
  2. a grid of LR0 in half-decades, each trained for the same epochs, extended by one point past an edge while the best
     sits on it, so that the grid's best is bracketed;
  3. a training at each pick that is not a grid point;
and per pick its ratio to the grid's best LR0 and the VOC all-point mAP it loses against it. The goal: the race's pick
within 2x of the grid's best in every case. The fixed rule that comes closest over the cases is named.

Data sets (ssd-shapes, --train / --val images of --size pixels, object sides given for 256 and scaled): shapes (the
demo's: 1 to 6 objects of 10 to 120 px), small (1 to 12 objects of 6 to 24 px) and large_imbalanced (1 or 2 objects of
64 to 200 px, classes 8 : 4 : 2 : 1). Optimizers: sgd (momentum 0.9) and adamw. Models: ssdlite (configs/shapes.yaml's
SSD-Lite MobileNetV2 x0.5, at --size) and ssd300 (SSD300 VGG16 at width 0.0625, its own default boxes: narrow, so that
a case, some ten trainings, runs in hours on a CPU core). The trainings must be long enough that the grid's mAPs differ by more than their noise: a grid whose best mAP is
below --min-map says nothing about the rules, and the case is reported as such (its picks are not trained). SGD with
momentum from scratch needs longer than AdamW (SSD-Lite learned nothing on the shapes in 30 epochs at any LR0 from 3e-4
to 0.1), so its cases train --sgd-epochs.

Every training's result is kept under --work (default bench/.lr_rules/, results.json per case), so the same command
continues an interrupted benchmark where it stopped; --cases picks cases (e.g. shapes/adamw/ssdlite). A case already on
the page's JSON under the same settings is taken from there (its trainings' figures travel with the page), so the
benchmark can be run a few cases at a time. --jobs N runs N cases at once, each training on one core
(runtime.threads=1, one loader thread): on a small CPU two single-core trainings do more work than one on two cores.

Usage: /usr/bin/python3 bench/lr_rules.py [--epochs 30] [--sgd-epochs 60] [--train 800] [--val 200] [--size 160] [--cases A/B/C,...]
                                          [--jobs 1] [--out PAGE]
writes docs/benchmarks/lr_rules.md and .json. Needs the normal build (bash scripts/build.sh).
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import cpu_name, write_page  # noqa: E402

# The executables: the normal build, or SSD_BUILD (a copy of them, so that a long run is not fed a rebuilt binary midway).
BUILD = os.environ.get("SSD_BUILD", os.path.join(ROOT, "build"))
# Object sides in pixels of a 256-pixel image, scaled to --size.
DATA_SETS = {
    "shapes": {"min": 10, "max": 120, "objects": 6},
    "small": {"min": 6, "max": 24, "objects": 12},
    "large_imbalanced": {"min": 64, "max": 200, "objects": 2, "weights": "8,4,2,1"},
}
OPTIMIZERS = {
    "sgd": ["solver.optimizer=sgd", "solver.momentum=0.9", "solver.weight_decay=0.0005"],
    "adamw": ["solver.optimizer=adamw", "solver.weight_decay=0.0001"],
}
MODELS = {
    "ssdlite": [],  # configs/shapes.yaml's own
    "ssd300": ["model.backbone=vgg16", "model.width_mult=0.0625", "model.image_size=300", "model.priors.preset=ssd300",
               "train.batch_size=8"],
}
# The first grid per optimizer, in half-decades; extended past an edge while the best lies on it.
GRIDS = {"sgd": [1e-3, 3e-3, 1e-2, 3e-2, 1e-1], "adamw": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]}
RULES = ["steepest", "minimum/10", "valley"]
# The races, by their column on the page: range_test.race_rungs and the range test's run directory.
RACES = {"race": ("restart", "range_test_restart"), "race, continued rungs": ("continue", "range_test")}
PICKS = RULES + list(RACES)


def run(cmd, log):
    with open(log, "w") as f:
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}); see {log}")
    return open(log).read()


def data_root(work, name, args):
    return os.path.join(work, "data", f"{name}_{args.size}")


def data_set(work, name, args):
    """The generated data set `name` at --size (made once); its folder."""
    root = data_root(work, name, args)
    d, scale = DATA_SETS[name], args.size / 256
    if not os.path.exists(os.path.join(root, "ImageSets", "Main", "val.txt")):
        subprocess.run([os.path.join(BUILD, "ssd-shapes"), "--out", root, "--train", str(args.train), "--val", str(args.val),
                        "--size", str(args.size), "--seed", "7", "--min-size", str(max(4, round(d["min"] * scale))),
                        "--max-size", str(round(d["max"] * scale)), "--max-objects", str(d["objects"])] +
                       (["--class-weights", d["weights"]] if "weights" in d else []), check=True, stdout=subprocess.DEVNULL)
    return root


def overrides(root, optimizer, model, args):
    sets = (["runtime.threads=1", "data.workers=1"] if args.jobs > 1 else []) + [
        f"data.train.roots=[{root}]", f"data.val.roots=[{root}]", f"train.epochs={epochs_of(optimizer, args)}", "train.eval_period=0",
        "train.log_period=1000"] + OPTIMIZERS[optimizer] + MODELS[model]
    if model == "ssdlite":
        sets.append(f"model.image_size={args.size}")
    return [x for s in sets for x in ("--set", s)]


def final_map(run_dir):
    rows = [line.split(",") for line in open(os.path.join(run_dir, "metrics.csv")).read().splitlines()[1:]]
    vals = [float(r[9]) for r in rows if r[0] == "val"]
    return vals[-1] if vals else float("nan")


def train_at(case_dir, sets, lr, results):
    """VOC all-point mAP of a training at LR0 lr (cached in results by the LR's text)."""
    key = f"{lr:.6g}"
    if key not in results["trained"]:
        run_dir = os.path.join(case_dir, "lr_" + key)
        start = time.time()
        run([os.path.join(BUILD, "ssd-train"), "--config", os.path.join(ROOT, "configs", "shapes.yaml")] + sets +
            ["--set", f"solver.lr={lr!r}", "--set", f"train.run_dir={run_dir}"], os.path.join(case_dir, f"train_{key}.log"))
        results["trained"][key] = {"lr": lr, "map": final_map(run_dir), "seconds": time.time() - start}
    return results["trained"][key]["map"]


def range_test_and_race(case_dir, sets, results, save):
    """The rules' picks (from the first range test) and each race's winner, by column (saved as each one ends)."""
    for label, (rungs, folder) in RACES.items():
        if label in results["races"]:
            continue
        threads = 1 if "runtime.threads=1" in sets else os.cpu_count()
        results.setdefault("threads", threads)  # the grid's, the case's first trainings
        log_path = os.path.join(case_dir, folder + ".log")
        log = run([os.path.join(BUILD, "ssd-train"), "--config", os.path.join(ROOT, "configs", "shapes.yaml")] + sets +
                  ["--set", f"train.run_dir={os.path.join(case_dir, folder)}", "--range-test", "--race",
                   "--set", "range_test.race=always", "--set", f"range_test.race_rungs={rungs}"], log_path)
        picks = {}
        for rule in RULES:
            m = re.search(r"^  " + re.escape(rule) + r"\s+([0-9.e+-]+)", log, re.M)
            if m:
                picks[rule] = float(m.group(1))
        results.setdefault("picks", picks)  # the rules' columns: the case's first range test
        m = re.search(r"^recommended: race = ([0-9.e+-]+) \(won the race, picked by ([^;]+);", log, re.M)
        if not m:
            raise SystemExit(f"no race result in {log_path}")
        lr, rule = float(m.group(1)), m.group(2).split(" = ")[0]
        if rule in picks and abs(math.log(picks[rule] / lr)) < math.log(1.01):
            lr = picks[rule]  # the same LR as the rule's pick, printed in fewer digits: trained once
        # The sweep is seeded, but its curve moved between runs on two cores and on one (another sum order, probably):
        # a race's candidates come from its own range test, kept with it.
        results["races"][label] = {"lr": lr, "winner_rule": m.group(2), "sweep": picks, "threads": threads,
                                   "table": log[log.index("LR race ("):log.index("recommended: ")].rstrip().splitlines()}
        save()
    return results["picks"] | {label: race["lr"] for label, race in results["races"].items()}


DEFAULT_EPOCHS = {"adamw": 30, "sgd": 60}


def epochs_of(optimizer, args):
    return args.sgd_epochs if optimizer == "sgd" else args.epochs


def settings(args, optimizer):
    """What makes two runs of a case comparable: the trainings' length and the data."""
    return {"epochs": epochs_of(optimizer, args), "train": args.train, "val": args.val, "size": args.size}


def published(args):
    """The cases on the page's JSON trained under the same settings, by name."""
    page = os.path.splitext(args.out)[0] + ".json"
    figures = json.load(open(page)) if os.path.exists(page) else []
    return {f["case"]: f for f in figures if f["settings"] == settings(args, f["case"].split("/")[1])}


def published_state(name, args):
    """The state of a case as the page's JSON holds it, or None."""
    f = published(args).get(name)
    return f["state"] if f else None


def run_case(work, name, args):
    data, optimizer, model = name.split("/")
    epochs = epochs_of(optimizer, args)  # (trainings of another length are another case's, in a folder of their own)
    case_dir = os.path.join(work, name.replace("/", "_") + ("" if epochs == DEFAULT_EPOCHS[optimizer] else f"_{epochs}ep"))
    os.makedirs(case_dir, exist_ok=True)
    state = os.path.join(case_dir, "results.json")
    mine = settings(args, optimizer)
    results = json.load(open(state)) if os.path.exists(state) else published_state(name, args) or {"trained": {}, "races": {}}
    if results.setdefault("settings", mine) != mine:
        raise SystemExit(f"{state} holds the case under {results['settings']}, not {mine}: give another --work")

    def save():
        json.dump(results, open(state, "w"), indent=1)

    sets = overrides(data_root(work, data, args), optimizer, model, args)
    picks = range_test_and_race(case_dir, sets, results, save)
    grid = list(GRIDS[optimizer])
    learned = True
    while True:
        for lr in grid:
            train_at(case_dir, sets, lr, results)
            save()
        maps = [results["trained"][f"{lr:.6g}"]["map"] for lr in grid]
        best = max(range(len(grid)), key=lambda i: maps[i])
        if maps[best] < args.min_map and (len(grid) > len(GRIDS[optimizer]) or 0 < best < len(grid) - 1):
            learned = False  # no LR of the grid learned, one step past its edge either: no pick to judge
            break
        if best == 0 and grid[0] > 1e-6:
            grid.insert(0, grid[0] / math.sqrt(10))
        elif best == len(grid) - 1 and grid[-1] < 1.0:
            grid.append(grid[-1] * math.sqrt(10))
        else:
            break
    grid_best = grid[best]
    best_map = results["trained"][f"{grid_best:.6g}"]["map"]
    figure = {"case": name, "grid": [[lr, results["trained"][f"{lr:.6g}"]["map"]] for lr in grid], "grid_best": grid_best,
              "grid_best_map": best_map, "learned": learned, "min_map": args.min_map, "races": results["races"],
              "threads": results["threads"], "settings": mine, "state": results}
    if not learned:
        return figure | {"picks": {}}
    for lr in picks.values():
        train_at(case_dir, sets, lr, results)
        save()
    rows = {}
    for rule, lr in picks.items():
        rows[rule] = {"lr": lr, "ratio": lr / grid_best, "map": results["trained"][f"{lr:.6g}"]["map"],
                      "lost": best_map - results["trained"][f"{lr:.6g}"]["map"]}
    return figure | {"picks": rows}


def fmt_ratio(r):
    return f"{r:.2f}x" if r >= 1 else f"1/{1 / r:.2f}x"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS["adamw"], help="train.epochs of every grid point and pick")
    ap.add_argument("--sgd-epochs", type=int, default=DEFAULT_EPOCHS["sgd"], help="train.epochs of the SGD cases")
    ap.add_argument("--train", type=int, default=800, help="training images per data set")
    ap.add_argument("--val", type=int, default=200, help="validation images per data set")
    ap.add_argument("--size", type=int, default=160, help="image side of the data sets and of the SSD-Lite model")
    ap.add_argument("--cases", default="", help="comma-separated data/optimizer/model (default: all 12)")
    ap.add_argument("--min-map", type=float, default=0.05, help="a grid whose best mAP is below this learned nothing")
    ap.add_argument("--jobs", type=int, default=1, help="cases run at once, each training on one core when > 1")
    ap.add_argument("--work", default=os.path.join(HERE, ".lr_rules"), help="where runs and results are kept")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "lr_rules.md"))
    args = ap.parse_args()
    every = [f"{d}/{o}/{m}" for m in MODELS for d in DATA_SETS for o in OPTIMIZERS]
    cases = args.cases.split(",") if args.cases else every
    for d in sorted({c.split("/")[0] for c in cases}):
        data_set(args.work, d, args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        ran = dict(zip(cases, pool.map(lambda c: run_case(args.work, c, args), cases)))
    # The page: the cases run now and those already on it under the same settings, in the benchmark's order.
    kept = published(args)
    figures = [ran.get(c) or kept[c] for c in every if c in ran or c in kept]

    lines = ["# The range test's picks against a grid of LR0", "",
             f"Regenerate with `/usr/bin/python3 bench/lr_rules.py --epochs {args.epochs} --sgd-epochs {args.sgd_epochs} --train {args.train} --val {args.val} "
             f"--size {args.size} --jobs {args.jobs}` (resumable: the same command continues; `--cases` runs some of the cases, "
             "and the page keeps those it already holds).", "",
             f"Machine: {cpu_name()}, {os.cpu_count()} logical cores. Every training: {args.epochs} epochs (SGD: {args.sgd_epochs}) on {args.train} "
             f"generated {args.size}-pixel images, VOC all-point mAP on {args.val} others; the race with its defaults "
             "(`range_test.race_epochs` a quarter of the epochs, `race_eta` 2, ranked by `val/loss`, `race_rungs` restart: "
             "each rung trains every candidate's whole schedule from scratch); *race, continued rungs*: the same race with "
             "`race_rungs` continue (each rung the first part of the planned run, the next going on from there).", "",
             "Per case: the grid's best LR0 and its mAP; for each pick its LR0 as a ratio to the grid's best and the mAP it "
             "loses against it (trained at that LR0 for the same epochs).", "",
             "| case | grid best | mAP | " + " | ".join(PICKS) + " |",
             "|---|---|---|" + "---|" * len(PICKS)]
    judged = [f for f in figures if f["learned"]]
    for f in figures:
        if f not in judged:
            lines.append(f"| {f['case']} | {f['grid_best']:.3g} | {f['grid_best_map']:.3f} | " +
                         f"no LR0 of the grid learned (best mAP below {f['min_map']}): nothing to judge the picks by |" +
                         " |" * (len(PICKS) - 1))
            continue
        cells = []
        for rule in PICKS:
            p = f["picks"].get(rule)
            cells.append("n/a" if p is None else f"{p['lr']:.3g} ({fmt_ratio(p['ratio'])}, {p['lost']:+.3f})".replace("+-", "-"))
        lines.append(f"| {f['case']} | {f['grid_best']:.3g} | {f['grid_best_map']:.3f} | " + " | ".join(cells) + " |")
    lines += ["", "Each cell: the pick, its ratio to the grid's best, and the mAP lost against the grid's best (negative: "
              "the pick did better than every grid point). Every mAP is one training, one seed: between neighbouring LR0s it "
              "moves by more than the LR explains (a pick between two grid points can do worse than both), so a ratio "
              "says more than a small mAP difference.", ""]
    within = [abs(math.log(f["picks"]["race"]["ratio"])) <= math.log(2) for f in judged if "race" in f["picks"]]
    lines.append(f"**The race's pick is within 2x of the grid's best in {sum(within)} of {len(within)} cases** "
                 f"(of {len(judged)} judged, {len(figures)} run, {len(every)} planned).")
    def median(values):
        values = sorted(values)
        return (values[(len(values) - 1) // 2] + values[len(values) // 2]) / 2

    closeness, lost = {}, {}
    for rule in PICKS:
        mine = [f["picks"][rule] for f in judged if rule in f["picks"]]
        if mine:
            closeness[rule] = median([abs(math.log(p["ratio"])) for p in mine])  # (of logs: a geometric median)
            lost[rule] = median([p["lost"] for p in mine]), max(p["lost"] for p in mine)
    fixed = {r: v for r, v in closeness.items() if r in RULES}
    if fixed:
        closest = min(fixed, key=fixed.get)
        lines.append("")
        lines.append("| pick | median distance to the grid's best | median mAP lost | most mAP lost |")
        lines.append("|---|---|---|---|")
        for rule, v in closeness.items():
            lines.append(f"| {rule} | {math.exp(v):.2f}x | {lost[rule][0]:+.3f} | {lost[rule][1]:+.3f} |".replace("+-", "-"))
        lines.append("")
        lines.append(f"The fixed rule closest to the grid's best: **{closest}**.")
    lines += ["", "## The grids and the races", ""]
    for f in figures:
        lines.append(f"### {f['case']}")
        lines.append("")
        cores = f["threads"]
        lines.append(f"Each training on {cores} core{'s' if cores > 1 else ''}.")
        lines.append("")
        lines.append("| LR0 | " + " | ".join(f"{lr:.3g}" for lr, _ in f["grid"]) + " |")
        lines.append("|---|" + "---|" * len(f["grid"]))
        lines.append("| mAP | " + " | ".join(f"{m:.3f}" for _, m in f["grid"]) + " |")
        for label, race in ((label, f["races"][label]) for label in RACES if label in f["races"]):
            lines += ([""] if lines[-1] else []) + [f"{label} (`range_test.race_rungs {RACES[label][0]}`):", "", "```"] + \
                race["table"] + ["```", ""]
            moved = {rule: lr for rule, lr in race.get("sweep", {}).items() if f["picks"].get(rule, {}).get("lr") != lr}
            if moved and f["picks"]:
                cores = race.get("threads", f["threads"])
                lines.append(f"Its candidates come from a range test of its own, on {cores} core{'s' if cores > 1 else ''} "
                             "(its curve moved, another sum order probably): " +
                             ", ".join(f"{rule} {lr:.3g}" for rule, lr in moved.items()) + " instead of the rules' columns above.")
                lines.append("")
    write_page(args.out, lines, figures)


if __name__ == "__main__":
    main()
