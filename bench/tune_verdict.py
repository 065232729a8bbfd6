#!/usr/bin/python3
"""ssd-tune against the default recipe and against a grid of LR0 at equal total compute.

For each generated data set (bench/lr_rules.py's shapes and small sets, --train / --val images of --size pixels):
  1. ssd-tune with its defaults (monitor auto, noise checked at every cut, the config as given as trial 0 of the
     search and the verdict against it): successive halving over --trials trials, rungs from --min-epochs to --epochs
     epochs (eta 3), every trial's schedule planned over --epochs, searching LR0, schedule and warm-up around the
     recipe's; the default recipe (configs/shapes.yaml as given at --size) is its trial 0, trained to --epochs;
  2. a grid of LR0 (the recipe's schedule and warm-up), log-spaced over the tuner's LR interval, with as many whole
     runs of --epochs as the tuner's total epochs buy: at most the same compute, spent on a plain grid;
and reports each one's VOC all-point mAP at --epochs, the compute each took, and every cut the tuner made with the
share of bootstrap resamples that backed it.

Every result is kept under --work (default bench/.tune_verdict/), so the same command continues an interrupted run.

Usage: /usr/bin/python3 bench/tune_verdict.py [--epochs 18] [--min-epochs 2] [--trials 9] [--train 800] [--val 200]
       [--size 256] [--sets shapes,small] [--out PAGE]
writes docs/benchmarks/tune_verdict.md and .json. Needs the normal build (bash scripts/build.sh); SSD_BUILD=DIR takes the
executables from DIR instead.
"""
import argparse
import csv
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import cpu_name, write_page  # noqa: E402
from lr_rules import BUILD, data_set, final_map, run  # noqa: E402

RECIPE = os.path.join(ROOT, "configs", "shapes.yaml")
LR_INTERVAL = (3e-4, 1e-2)  # around the recipe's LR0 3e-3


def common_sets(root, args):
    sets = [f"data.train.roots=[{root}]", f"data.val.roots=[{root}]", f"model.image_size={args.size}", "train.log_period=1000"]
    return [x for s in sets for x in ("--set", s)]


def space_file(path, args):
    with open(path, "w") as f:
        f.write(f"method: successive_halving\ntrials: {args.trials}\nmin_epochs: {args.min_epochs}\nmax_epochs: {args.epochs}\n"
                f"eta: 3\nseed: 0\nspace:\n  solver.lr: loguniform({LR_INTERVAL[0]}, {LR_INTERVAL[1]})\n"
                "  schedule.name: choice([multistep, cosine])\n  schedule.warmup.iters: int(20, 150)\n")
    return path


def tune(set_dir, sets, args, results):
    if "tune" not in results:
        out = os.path.join(set_dir, "tune")
        start = time.time()
        log = run([os.path.join(BUILD, "ssd-tune"), "--config", RECIPE, "--space", space_file(os.path.join(set_dir, "space.yaml"), args),
                   "--out", out] + sets + ["--set", f"train.epochs={args.epochs}"], os.path.join(set_dir, "tune.log"))
        state = json.load(open(os.path.join(out, "tuner.json")))
        search_epochs = sum(max((round(r[0]) for r in t["results"]), default=0) for t in state["trials"])
        with open(os.path.join(out, "leaderboard.csv")) as f:
            board = list(csv.DictReader(f))
        best = next(r for r in board if r["trial"] not in ("given", "baseline"))  # the search's own best trial
        baseline = next(r for r in board if r["trial"] in ("given", "baseline"))  # the config as given
        winner = board[0]  # the leaderboard's first: what best.yaml holds
        cuts = log[log.index("cuts:\n") + 6:log.index("leaderboard (")].rstrip().splitlines()
        verdict = [line for line in log[log.rindex("\nverdict at ") + 1:].rstrip().splitlines()  # ssd-tune's own lines
                   if not line.startswith("wrote ")]
        params = {k: best[k] for k in ("solver.lr", "schedule.name", "schedule.warmup.iters")}
        results["tune"] = {"best_map": float(best["val/mAP"]), "best_se": float(best["val/mAP_se"]), "best_params": params,
                           "search_epochs": search_epochs, "search_seconds": sum(t.get("seconds", 0) for t in state["trials"]),
                           "default_map": float(baseline["val/mAP"]), "default_se": float(baseline["val/mAP_se"]),
                           "default_seconds": float(baseline["seconds"]), "default_in_search": baseline["trial"] == "given",
                           "winner_map": float(winner["val/mAP"]), "cuts": cuts, "verdict": verdict,
                           "wall_seconds": time.time() - start}
    return results["tune"]


def grid(set_dir, sets, args, points, results):
    trained = results.setdefault("grid", {})
    lo, hi = LR_INTERVAL
    lrs = [lo * (hi / lo) ** ((i + 0.5) / points) for i in range(points)]  # centres of equal log-width cells
    for lr in lrs:
        key = f"{lr:.3g}"
        if key in trained:
            continue
        run_dir = os.path.join(set_dir, "grid_" + key)
        start = time.time()
        run([os.path.join(BUILD, "ssd-train"), "--config", RECIPE] + sets +
            ["--set", f"train.epochs={args.epochs}", "--set", "train.eval_period=0", "--set", f"solver.lr={float(key)!r}",
             "--set", f"train.run_dir={run_dir}"], os.path.join(set_dir, f"grid_{key}.log"))
        trained[key] = {"lr": float(key), "map": final_map(run_dir), "seconds": time.time() - start}
    return [trained[f"{lr:.3g}"] for lr in lrs]


def run_set(work, name, args):
    set_dir = os.path.join(work, f"{name}_{args.size}px_{args.train}_{args.epochs}ep")
    os.makedirs(set_dir, exist_ok=True)
    state = os.path.join(set_dir, "results.json")
    results = json.load(open(state)) if os.path.exists(state) else {}

    def save():
        json.dump(results, open(state, "w"), indent=1)

    # (lr_rules.data_set names a set by its name and size; its folder here also carries the image counts.)
    sets = common_sets(data_set(os.path.join(work, f"{args.train}_{args.val}"), name, args), args)
    t = tune(set_dir, sets, args, results)
    save()
    points = max(1, t["search_epochs"] // args.epochs)
    g = grid(set_dir, sets, args, points, results)
    save()
    best = max(g, key=lambda x: x["map"])
    return {"set": name, "tune": t, "grid": g, "grid_best": best, "grid_epochs": points * args.epochs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=18, help="the planned run: the tuner's largest budget, the recipe's and each grid point's")
    ap.add_argument("--min-epochs", type=int, default=2, help="the tuner's first rung")
    ap.add_argument("--trials", type=int, default=9)
    ap.add_argument("--train", type=int, default=800, help="training images per data set")
    ap.add_argument("--val", type=int, default=200, help="validation images per data set")
    ap.add_argument("--size", type=int, default=256, help="image side of the data sets and of the model")
    ap.add_argument("--sets", default="shapes,small")
    ap.add_argument("--work", default=os.path.join(HERE, ".tune_verdict"), help="where runs and results are kept")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "tune_verdict.md"))
    args = ap.parse_args()
    figures = [run_set(args.work, s, args) for s in args.sets.split(",")]
    for f in figures:  # the tuner's printed lines, without its closing "wrote ..." and this checkout's path
        for key in ("cuts", "verdict"):
            f["tune"][key] = [line.replace(ROOT + "/", "") for line in f["tune"][key] if not line.startswith("wrote ")]

    lines = ["# ssd-tune against the default recipe and a grid at equal compute", "",
             f"Regenerate with `/usr/bin/python3 bench/tune_verdict.py --epochs {args.epochs} --min-epochs {args.min_epochs} "
             f"--trials {args.trials} --train {args.train} --val {args.val} --size {args.size} --sets {args.sets}` "
             "(resumable: the same command continues).", "",
             f"Machine: {cpu_name()}, {os.cpu_count()} logical cores. Data: bench/lr_rules.py's generated sets, {args.train} "
             f"training and {args.val} validation images of {args.size} pixels. Recipe: configs/shapes.yaml (SSD-Lite "
             f"MobileNetV2 x0.5, AdamW, LR0 3e-3, multistep, warm-up 100 iterations) at {args.size} pixels, {args.epochs} epochs.",
             "", f"Tuner: ssd-tune's defaults (monitor auto, confidence 0.9, 200 bootstrap resamples, undecided: defer, "
             f"baseline: search, the recipe as trial 0), successive halving over {args.trials} trials with eta 3 from {args.min_epochs} to {args.epochs} "
             f"epochs, each trial's schedule planned over {args.epochs} epochs; searched: solver.lr loguniform{LR_INTERVAL}, "
             "schedule.name (multistep, cosine), schedule.warmup.iters int(20, 150). Grid: LR0 log-spaced over the same "
             "interval, the recipe's schedule and warm-up, as many whole runs as the tuner's epochs buy.", "",
             "VOC all-point mAP at the full run (the tuner's figures with their bootstrap standard error over the validation "
             "images); compute in epochs of training.", "",
             "| data set | default recipe (trial 0) | search's best other trial | its parameters | tuner's winner (best.yaml) | "
             "grid's best (LR0) | tuner compute | grid compute |", "|---|---|---|---|---|---|---|---|"]
    for f in figures:
        t, b = f["tune"], f["grid_best"]
        params = ", ".join(f"{k}={v}" for k, v in t["best_params"].items())
        recommended = "its best other trial" if t["best_map"] > t["default_map"] else "the recipe as given"
        compute = (f"{t['search_epochs']} (the recipe's among them)" if t.get("default_in_search")
                   else f"{t['search_epochs']} + {args.epochs} for the recipe")
        lines.append(f"| {f['set']} | {t['default_map']:.3f} +- {t['default_se']:.3f} | {t['best_map']:.3f} +- {t['best_se']:.3f} | "
                     f"{params} | {recommended} ({max(t['best_map'], t['default_map']):.3f}) | {b['map']:.3f} ({b['lr']:.3g}) | "
                     f"{compute} | {f['grid_epochs']} |")
    matched = sum(f["tune"].get("winner_map", f["tune"]["best_map"]) >= f["tune"]["default_map"] for f in figures)
    others = sum(f["tune"]["best_map"] >= f["tune"]["default_map"] for f in figures)
    lines += ["", f"**The tuner's winner (its leaderboard's first, which best.yaml holds) matched or beat the default recipe in "
              f"{matched} of {len(figures)} data sets; the search's best other trial did in {others} of {len(figures)}.**"]
    lines += ["", "## What the rungs decided on", ""]
    for f in figures:
        lines += [f"### {f['set']}", "", "```"] + f["tune"]["cuts"] + [""] + f["tune"]["verdict"] + ["```", "",
                  "Grid: " + ", ".join(f"{g['lr']:.3g} -> {g['map']:.3f}" for g in f["grid"]), ""]
    write_page(args.out, lines, figures)


if __name__ == "__main__":
    main()
