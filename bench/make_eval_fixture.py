#!/usr/bin/python3
"""A COCO-sized scoring problem for the evaluator benchmark: N images (default 5,000), about 7 objects each over
80 categories (1% crowd regions), and 100 detections per image (jittered copies of the objects, some with the
wrong class, the rest anywhere), as COCO instances JSON and COCO results JSON. Seeded: the same files each run.
Coordinates are whole pixels and scores have six decimals, so that C++ (float) and Python (double) read the same
numbers and tie the same way.

Usage: make_eval_fixture.py OUT_DIR [--images N]
"""
import argparse
import json
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--dets", type=int, default=100)
    args = ap.parse_args()
    rng = random.Random(2026)
    W, H = 640, 480
    cats = [{"id": c if c <= 11 else c + 1, "name": f"class{c:02d}"} for c in range(1, 81)]  # COCO-like gaps in the ids
    gt = {"images": [], "annotations": [], "categories": cats}
    dets = []

    def random_box(min_side, max_side):
        w, h = rng.randint(min_side, max_side), rng.randint(min_side, max_side)
        return [rng.randint(0, W - w), rng.randint(0, H - h), w, h]

    for i in range(args.images):
        image_id = 100000 + i
        gt["images"].append({"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": W, "height": H})
        objects = []
        for _ in range(max(1, int(rng.gauss(7, 3)))):
            box = random_box(8, 300)  # small, medium and large objects
            cat = rng.choice(cats)["id"]
            crowd = 1 if rng.random() < 0.01 else 0
            gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": image_id, "category_id": cat, "bbox": box,
                                      "area": box[2] * box[3], "iscrowd": crowd})
            objects.append((box, cat))
        mine = []
        for box, cat in objects:  # a few detections near each object, now and then with the wrong class
            for _ in range(rng.randint(1, 4)):
                j = [v + rng.randint(-max(1, box[2] // 6), max(1, box[2] // 6)) for v in box]
                j[2], j[3] = max(2, j[2]), max(2, j[3])
                label = cat if rng.random() < 0.8 else rng.choice(cats)["id"]
                mine.append((j, label))
        while len(mine) < args.dets:
            mine.append((random_box(4, 200), rng.choice(cats)["id"]))
        for box, label in mine[: args.dets]:
            dets.append({"image_id": image_id, "category_id": label, "bbox": box, "score": round(rng.random(), 6)})
    os.makedirs(args.out, exist_ok=True)
    json.dump(gt, open(os.path.join(args.out, "instances.json"), "w"))
    json.dump(dets, open(os.path.join(args.out, "results.json"), "w"))
    print(f"{args.images} images, {len(gt['annotations'])} objects, {len(dets)} detections, {len(cats)} categories -> {args.out}")


if __name__ == "__main__":
    main()
