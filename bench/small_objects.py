#!/usr/bin/python3
"""Small objects in large images: whole-image training against tiled training with sliced inference.

On a generated set of --width x --height images with objects of --min-size to --max-size pixels in 12 classes
(ssd-shapes), one model (configs/shapes.yaml's SSD-Lite MobileNetV2 x0.5 and recipe, at --input pixels) is trained two
ways for the same number of iterations (the same input size, so about the same time; both times are reported):
  whole: every image resized to --input (the default);
  tiled: tiles of --input pixels cut at --tile-scale (tiling.train; 2: tiles of --input / 2 source pixels, enlarged so
         that the smallest objects reach the size the first feature map's stride can match), evaluated by sliced
         inference (tiling.infer).
Each way gets the default boxes `ssd-data analyze` fits to its boxes (before training; the page shows both shares of
boxes that no default box matches). Each model is scored by ssd-eval --metric all (VOC all-point mAP@0.5, COCO AP and
AP_small). Then the speed of sliced inference: ssd-detect --sliced on the validation images (tiles per second, every
view counted) against plain ssd-detect on the same tiles cut to files beforehand, in one run; and the LR range test
on the training tiles with the race of its picks (--race, validated by sliced inference; about 45 minutes here).
Last, other input choices judged by ssd-data analyze alone: SSD512's default boxes at 512 x 512 and at 960 x 544 (the
images' 16:9 kept), the recipe's model at 960 x 544, and SSD512 on tiles.

Every result is kept under --work (default bench/.small_objects/), so the same command continues an interrupted run.

Usage: /usr/bin/python3 bench/small_objects.py [--epochs 36] [--tile-scale 2] [--train 300] [--val 100] [--out PAGE]
writes docs/benchmarks/small_objects.md and .json. Needs the normal build (bash scripts/build.sh); SSD_BUILD=DIR takes
the executables from DIR instead.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import cpu_name, write_page  # noqa: E402
from lr_rules import BUILD, run  # noqa: E402

RECIPE = os.path.join(ROOT, "configs", "shapes.yaml")
CLASSES = "[circle, square, triangle, star, diamond, cross, hexagon, ring, pentagon, arrow, crescent, heart]"
ARMS = ("whole", "tiled")


def arm_sets(name, args):
    return [] if name == "whole" else ["tiling.train=true", "tiling.infer=true", f"tiling.scale={args.tile_scale:g}"]


def as_sets(pairs):
    return [x for p in pairs for x in ("--set", p)]


def data_set(work, args):
    root = os.path.join(work, "data", f"{args.width}x{args.height}")
    if not os.path.exists(os.path.join(root, "ImageSets", "Main", "val.txt")):
        subprocess.run([os.path.join(BUILD, "ssd-shapes"), "--out", root, "--width", str(args.width), "--height", str(args.height),
                        "--classes", "12", "--min-size", str(args.min_size), "--max-size", str(args.max_size), "--max-objects",
                        str(args.objects), "--train", str(args.train), "--val", str(args.val), "--seed", "1"],
                       check=True, stdout=subprocess.DEVNULL)
    return root


def fitted_priors(arm_dir, base):
    """ssd-data analyze on the arm's config: the unmatched shares with the recipe's default boxes and with the fit, and
    the fit's --set pairs (none when it does not improve)."""
    log = run([os.path.join(BUILD, "ssd-data"), "analyze", "--config", RECIPE, "--out", os.path.join(arm_dir, "analysis")] +
              as_sets(base), os.path.join(arm_dir, "analyze.log"))
    now = float(log.split("% of the boxes have no default box")[0].rsplit(" ", 1)[-1].split("):")[-1].strip()) / 100
    priors = os.path.join(arm_dir, "analysis", "priors.yaml")
    if not os.path.exists(priors) or "proposed default boxes" not in log:
        return now, now, []
    fitted = float(log.split("proposed default boxes")[1].split("% unmatched instead")[0].rsplit(" ", 1)[-1]) / 100
    pairs = []
    for line in open(priors):
        key, _, value = line.strip().partition(":")
        if key in ("min_sizes", "max_sizes", "aspect_ratios"):
            pairs.append(f"model.priors.{key}={value.strip()}")
    return now, fitted, pairs


# The input choices of the user story, judged before any training: for each, the share of boxes no default box matches,
# with the model's own default boxes and with those ssd-data analyze fits (name, --set pairs).
INPUT_CHOICES = (
    ("SSD512 (VGG16), whole image resized to 512 x 512", ["model.backbone=vgg16", "model.width_mult=1.0", "model.image_size=512",
                                                        "model.priors.preset=auto"]),
    ("SSD512 (VGG16), whole image resized to 960 x 544", ["model.backbone=vgg16", "model.width_mult=1.0", "model.image_size=[960, 544]",
                                                        "model.priors.preset=auto"]),
    ("SSD-Lite (the recipe), whole image resized to 960 x 544", ["model.image_size=[960, 544]"]),
    ("SSD512 (VGG16), tiles of 256 px at scale 2", ["model.backbone=vgg16", "model.width_mult=1.0", "model.image_size=512",
                                                    "model.priors.preset=auto", "tiling.train=true", "tiling.scale=2"]),
)


def input_choices(work, root, results):
    """ssd-data analyze for each of INPUT_CHOICES (no training): the unmatched shares with its default boxes and fitted."""
    found = results.setdefault("input_choices", {})
    for name, sets in INPUT_CHOICES:
        if name in found:
            continue
        arm_dir = os.path.join(work, "inputs", re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_"))
        os.makedirs(arm_dir, exist_ok=True)
        base = [f"data.classes={CLASSES}", f"data.train.roots=[{root}]", f"data.val.roots=[{root}]"] + sets
        now, fitted, _ = fitted_priors(arm_dir, base)
        found[name] = {"unmatched_default": now, "unmatched_fitted": fitted}


def metrics(eval_json):
    by_metric = json.load(open(eval_json))["results"]
    stats = by_metric["coco"]["stats"]
    return {"voc": by_metric["voc"]["mAP"], "voc07": by_metric["voc07"]["mAP"], "coco": stats[0], "coco_small": stats[3]}


def train_arm(work, name, root, args, results):
    """Trains one way (kept in results[name]) and scores its last checkpoint (the scores kept apart, so that a change of the
    evaluation can be measured again without training again: remove the arm's "voc")."""
    arm_dir = os.path.join(work, name)
    os.makedirs(arm_dir, exist_ok=True)
    if "train_s" not in results.get(name, {}):
        base = [f"data.classes={CLASSES}", f"data.train.roots=[{root}]", f"data.val.roots=[{root}]", f"model.image_size={args.input}",
                f"train.epochs={args.epochs}", "train.eval_period=0", "train.log_period=1000", f"train.run_dir={arm_dir}/run"] + \
            arm_sets(name, args)
        now, fitted, priors = fitted_priors(arm_dir, base)
        start = time.time()
        run([os.path.join(BUILD, "ssd-train"), "--config", RECIPE] + as_sets(base + priors), os.path.join(arm_dir, "train.log"))
        results[name] = {"unmatched_recipe": now, "unmatched_fitted": fitted, "priors": priors, "train_s": time.time() - start}
    if "voc" not in results[name]:
        eval_json = os.path.join(arm_dir, "eval.json")
        start = time.time()
        run([os.path.join(BUILD, "ssd-eval"), "--checkpoint", os.path.join(arm_dir, "run", "last.pt"), "--metric", "all", "--json-out",
             eval_json], os.path.join(arm_dir, "eval.log"))
        results[name].update({"eval_s": time.time() - start, **metrics(eval_json)})


def range_test(work, root, args, results):
    """The LR range test on the tiled way's training tiles, and the race of its picks (--race: short trainings on the
    tiles, validated by sliced inference, when the rules disagree by more than 3x): the rules' picks and the winner."""
    log_path = os.path.join(work, "range_test.log")
    if "range_test" in results and "race" in results["range_test"]:
        if "race_table" not in results and os.path.exists(log_path):
            log = open(log_path).read()
            results["race_table"] = log[log.index("LR race ("):log.index("recommended: ")].rstrip().splitlines()
        return
    # (the race on the page ran with continued rungs, measured before restarted rungs became the default)
    log = run([os.path.join(BUILD, "ssd-train"), "--config", RECIPE, "--range-test", "--race"] +
              as_sets(["range_test.race_rungs=continue", f"data.classes={CLASSES}", f"data.train.roots=[{root}]",
                       f"data.val.roots=[{root}]",
                       f"model.image_size={args.input}", f"train.epochs={args.epochs}", f"train.run_dir={work}/range_test"] +
                      arm_sets("tiled", args)),
              log_path)
    picks = {}
    for rule in ("steepest", "minimum/10", "valley"):
        picks[rule] = float(log.split(f"  {rule} ")[1].split()[0])
    m = re.search(r"^recommended: race = ([0-9.e+-]+) \(won the race", log, re.M)
    if m:
        picks["race"] = float(m.group(1))
        results["race_table"] = log[log.index("LR race ("):log.index("recommended: ")].rstrip().splitlines()
    results["range_test"] = picks


def tile_speed(work, root, args, results):
    """ssd-detect --sliced over the validation images against plain ssd-detect over the same tiles as files."""
    if "speed" in results:
        return
    arm_dir = os.path.join(work, "tiled")
    checkpoint = os.path.join(arm_dir, "run", "last.pt")
    images = [os.path.join(root, "JPEGImages", line.strip() + ".jpg")
              for line in open(os.path.join(root, "ImageSets", "Main", "val.txt"))][:args.speed_images]
    tiles_dir = os.path.join(work, "speed_tiles")
    os.makedirs(tiles_dir, exist_ok=True)
    # The views sliced inference runs, as files: the grid's tiles (data::tile_grid at tiling.overlap 0.2) and the whole
    # image resized to the input.
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    from PIL import Image
    side, overlap, views = round(args.input / args.tile_scale), 0.2, 0
    def spread(extent):
        if extent <= side:
            return [0]
        import math
        count = 1 + math.ceil((extent - side) / (side * (1 - overlap)) - 1e-9)
        return [round(i * (extent - side) / (count - 1)) for i in range(count)]
    for path in images:
        im = Image.open(path).convert("RGB")
        stem = os.path.splitext(os.path.basename(path))[0]
        for y in spread(im.height):
            for x in spread(im.width):
                tile = im.crop((x, y, x + side, y + side))
                tile.resize((args.input, args.input), Image.BILINEAR).save(os.path.join(tiles_dir, f"{stem}_{x}_{y}.png"))
                views += 1
        im.resize((args.input, args.input), Image.BILINEAR).save(os.path.join(tiles_dir, f"{stem}_whole.png"))
        views += 1
    common = ["--checkpoint", checkpoint, "--batch", "16", "--json-out"]
    start = time.time()
    run([os.path.join(BUILD, "ssd-detect")] + common + [os.path.join(work, "sliced.json"), "--sliced"] + images,
        os.path.join(work, "speed_sliced.log"))
    sliced_s = time.time() - start
    start = time.time()
    run([os.path.join(BUILD, "ssd-detect")] + common + [os.path.join(work, "plain.json"), "--set", "tiling.infer=false", tiles_dir],
        os.path.join(work, "speed_plain.log"))
    plain_s = time.time() - start
    results["speed"] = {"images": len(images), "views": views, "sliced_s": sliced_s, "plain_s": plain_s}


def page(results, args):
    w, t = results["whole"], results["tiled"]
    s, r = results["speed"], results["range_test"]
    rules_spread = max(r[k] for k in ("steepest", "minimum/10", "valley")) / min(r[k] for k in ("steepest", "minimum/10", "valley"))
    ratio = t["voc"] / w["voc"] if w["voc"] else float("inf")
    lines = [
        "# Small objects in large images",
        "",
        f"Generated by `/usr/bin/python3 bench/small_objects.py --epochs {args.epochs} --train {args.train} --val {args.val}` on "
        f"{cpu_name()} ({os.cpu_count()} cores). The data: `ssd-shapes --width {args.width} --height {args.height} --classes 12 "
        f"--min-size {args.min_size} --max-size {args.max_size} --max-objects {args.objects} --train {args.train} --val {args.val} "
        "--seed 1`. The model and recipe: configs/shapes.yaml (SSD-Lite MobileNetV2 x0.5, AdamW at 3e-3) at "
        f"model.image_size {args.input}, {args.epochs} epochs each way (one image or one tile per sample: the same steps), "
        "default boxes fitted by `ssd-data analyze` for each way where the fit matches more boxes than the recipe's. Tiles: "
        f"tiling.scale {args.tile_scale:g} (tiles of {round(args.input / args.tile_scale)} source pixels), overlap 0.2, "
        "merged by nms, the whole image too.",
        "",
        f"| | whole image resized to {args.input} | tiled training, sliced inference |",
        "|---|---|---|",
        f"| boxes no default box matches, recipe's default boxes | {w['unmatched_recipe']:.1%} | {t['unmatched_recipe']:.1%} |",
        f"| boxes no default box matches, fitted default boxes | {w['unmatched_fitted']:.1%} | {t['unmatched_fitted']:.1%} |",
        f"| VOC all-point mAP@0.5 | {w['voc']:.3f} | {t['voc']:.3f} ({ratio:.1f}x) |",
        f"| VOC07 11-point mAP@0.5 | {w['voc07']:.3f} | {t['voc07']:.3f} |",
        f"| COCO AP@[.5:.95] | {w['coco']:.3f} | {t['coco']:.3f} |",
        f"| COCO AP_small | {w['coco_small']:.3f} | {t['coco_small']:.3f} |",
        f"| training time | {w['train_s'] / 60:.1f} min | {t['train_s'] / 60:.1f} min |",
        f"| evaluation time ({args.val} images) | {w['eval_s']:.0f} s | {t['eval_s']:.0f} s |",
        "",
        f"Sliced inference speed: `ssd-detect --sliced` on {s['images']} validation images ran {s['views']} views (tiles and the "
        f"whole image) in {s['sliced_s']:.1f} s, {s['views'] / s['sliced_s']:.1f} views/s; plain `ssd-detect` on the same "
        f"views cut to files beforehand took {s['plain_s']:.1f} s, {s['views'] / s['plain_s']:.1f} views/s: slicing runs at "
        f"{s['plain_s'] / s['sliced_s']:.2f}x the speed of plain inference of its tiles (both times include loading the model "
        "and reading the files: the sliced side decodes the JPEG images and cuts them, the plain side decodes each view as a "
        f"{args.input} px PNG file).",
        "",
        "The LR range test on the tiled way's training tiles (`ssd-train --range-test --race --set range_test.race_rungs=continue` "
        "with the tiled way's settings, "
        "before training): " + ", ".join(f"{rule} {r[rule]:.2g}" for rule in ("steepest", "minimum/10", "valley"))
        + f"; the rules disagree by {rules_spread:.0f}x"
        + (f", and the race of the picks on the tiles (sliced validation) chose {r['race']:.2g}." if "race" in r else ", and no race ran.")
        + " The recipe's LR0 3e-3 trained both ways above.",
        "",
    ]
    if "race_table" in results:
        lines += ["```text"] + results["race_table"] + ["```", ""]
    if "input_choices" in results:
        lines += ["Other input choices, judged by `ssd-data analyze` alone (no training): the share of the training boxes that no "
                  "default box matches at IoU 0.5, with the model's default boxes and with the ones the analysis fits.", "",
                  "| input | model's default boxes | fitted default boxes |", "|---|---|---|"]
        for name, _ in INPUT_CHOICES:
            c = results["input_choices"][name]
            lines.append(f"| {name} | {c['unmatched_default']:.1%} | {c['unmatched_fitted']:.1%} |")
        lines.append("")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=36)
    p.add_argument("--tile-scale", type=float, default=2.0)
    p.add_argument("--train", type=int, default=300)
    p.add_argument("--val", type=int, default=100)
    p.add_argument("--width", type=int, default=1920)
    p.add_argument("--height", type=int, default=1080)
    p.add_argument("--min-size", type=int, default=8)
    p.add_argument("--max-size", type=int, default=64)
    p.add_argument("--objects", type=int, default=30)
    p.add_argument("--input", type=int, default=512)
    p.add_argument("--speed-images", type=int, default=20)
    p.add_argument("--work", default=os.path.join(HERE, ".small_objects"))
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "small_objects.md"))
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    state = os.path.join(args.work, "results.json")
    results = json.load(open(state)) if os.path.exists(state) else {}
    root = data_set(args.work, args)
    for name in ARMS:
        train_arm(args.work, name, root, args, results)
        json.dump(results, open(state, "w"), indent=1)
    tile_speed(args.work, root, args, results)
    json.dump(results, open(state, "w"), indent=1)
    range_test(args.work, root, args, results)
    json.dump(results, open(state, "w"), indent=1)
    input_choices(args.work, root, results)
    json.dump(results, open(state, "w"), indent=1)
    write_page(args.out, page(results, args), {"args": vars(args), **results})


if __name__ == "__main__":
    main()
