#!/usr/bin/python3
"""The metrics' edge cases through the real files and programs: each case is a COCO instances file and a results file
with numbers worked out by hand from pycocotools' and voc_eval.py's rules. `ssd-eval --dets` must give them, and so
must bench/coco_eval_reference.py, the Python reference the evaluator benchmark compares against.

Usage: metric_edges.py BIN_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "..", "bench", "coco_eval_reference.py")
NA = None  # nothing to score: pycocotools prints -1, ssd-eval writes null


def instances(images, objects, categories=1):
    """images: ids; objects: (image_id, bbox, extra fields) with category 1 unless extra says otherwise."""
    anns = []
    for i, (image_id, bbox, extra) in enumerate(objects, 1):
        ann = {"id": i, "image_id": image_id, "category_id": 1, "bbox": bbox, "area": bbox[2] * bbox[3], "iscrowd": 0}
        ann.update(extra)
        anns.append(ann)
    return {"images": [{"id": i, "file_name": f"{i:06d}.jpg", "width": 500, "height": 500} for i in images],
            "annotations": anns,
            "categories": [{"id": c, "name": f"class{c}"} for c in range(1, categories + 1)]}


def result(image_id, bbox, score, category=1):
    return {"image_id": image_id, "category_id": category, "bbox": bbox, "score": score}


# Order of the 12 numbers: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl.
CASES = {
    # Areas exactly 32^2 and 96^2 belong to both ranges they bound. A detection's area is the file's w * h: at
    # x = 100.3 and y = 0.1 its corners give 32.000000000000014 (double) or 31.999998 (float32) for 32.
    # Objects A (image 1, area 1024), B (image 1, 9216), E (image 2, 9216, missed); detections D2 (unmatched, area
    # 1024, 0.95), D1 on A (0.9), D3 on B (0.8). all and medium: FP, TP, TP over 3 objects -> precision 2/3 up to
    # recall 2/3, 67 recall points; small: A only, D3 on the ignored B ignored -> 1/2; large: B and E, D2 outside
    # and D1 on the ignored A ignored -> recall 1/2 at precision 1, 51 points. maxDets 1: image 1 keeps D2 only.
    "area_edges": (
        instances([1, 2], [(1, [0, 0, 32, 32], {}), (1, [200, 200, 96, 96], {}), (2, [0, 0, 96, 96], {})]),
        [result(1, [100.3, 0.1, 32, 32], 0.95), result(1, [0, 0, 32, 32], 0.9), result(1, [200, 200, 96, 96], 0.8)],
        [67 * (2 / 3) / 101, 67 * (2 / 3) / 101, 67 * (2 / 3) / 101, 0.5, 67 * (2 / 3) / 101, 51 / 101,
         0.0, 2 / 3, 2 / 3, 1.0, 2 / 3, 0.5],
    ),
    # IoU exactly k / 20 (k = 10 ... 19) in class k - 9: a 20 x 1 object and a k x 1 detection. Each lies on or
    # above the (k - 10)th of numpy.linspace(.5, .95, 10): class k - 9 matches at k - 9 thresholds, AP (k - 9) / 10,
    # and the mean over the classes is 0.55; at 0.75 the classes k >= 15 match: AP75 = 0.5. All areas are small.
    "iou_on_thresholds": (
        instances(list(range(10, 20)), [(k, [0, 0, 20, 1], {"category_id": k - 9}) for k in range(10, 20)], categories=10),
        [result(k, [0, 0, k, 1], 0.9, category=k - 9) for k in range(10, 20)],
        [0.55, 1.0, 0.5, 0.55, NA, NA, 0.55, 0.55, 0.55, 0.55, NA, NA],
    ),
    # Scores 0.5 and 0.5 + 1e-9, equal in float32: the false positive on image 2 ranks first, so the object is found
    # at precision 1/2 (AP 0.5, area 2500 medium). maxDets 1 keeps one detection per image: recall 1.
    "scores_past_float": (
        instances([1, 2], [(1, [0, 0, 50, 50], {})]),
        [result(1, [0, 0, 50, 50], 0.5), result(2, [0, 0, 50, 50], 0.5 + 1e-9)],
        [0.5, 0.5, 0.5, NA, 0.5, NA, 1.0, 1.0, 1.0, NA, 1.0, NA],
    ),
    # A 10 x 10 detection half inside a crowd region: crowd IoU = intersection / the detection's w * h = 0.5, so it is
    # ignored at 0.50 and a false positive above (before the true positive): AP = (1 + 9 * 0.5) / 10. In "medium"
    # (the object's range) the small detection is ignored when unmatched: APm 1. maxDets 1 keeps the crowd one only.
    "crowd": (
        instances([1], [(1, [0, 0, 40, 40], {}), (1, [100, 100, 100, 100], {"iscrowd": 1})]),
        [result(1, [95, 100, 10, 10], 0.95), result(1, [0, 0, 40, 40], 0.9)],
        [0.55, 1.0, 0.5, NA, 1.0, NA, 0.0, 1.0, 1.0, NA, 1.0, NA],
    ),
}

# VOC07 11-point AP with recall exactly 0.3 (3 of 10 objects found at precision 1): voc_eval.py's ticks
# (numpy.arange(0, 1.1, 0.1), 0.30000000000000004 above 0.3) reach 3 of 11, the exact tenths 4.
VOC07_CASE = (
    instances(list(range(1, 11)), [(i, [0, 0, 10, 10], {}) for i in range(1, 11)]),
    [result(i, [0, 0, 10, 10], 0.9) for i in range(1, 4)],
    {"arange": 3 / 11, "exact": 4 / 11},
)


def close(got, want):
    if want is NA:
        return got is None or got == -1
    return got is not None and abs(got - want) <= 1e-12


def write_case(work, name, gt, dets):
    gt_path, res_path = os.path.join(work, name + "_instances.json"), os.path.join(work, name + "_results.json")
    json.dump(gt, open(gt_path, "w"))
    json.dump(dets, open(res_path, "w"))
    return gt_path, res_path


def ssd_eval(bin_dir, work, name, gt_path, res_path, *extra):
    out = os.path.join(work, name + "_ssd_eval.json")
    subprocess.run([os.path.join(bin_dir, "ssd-eval"), "--dets", res_path, "--gt", gt_path, "--no-report", "--json-out", out, *extra],
                   check=True, stdout=subprocess.DEVNULL)
    return json.load(open(out))


def main(bin_dir, work):
    os.makedirs(work, exist_ok=True)
    failures = []
    for name, (gt, dets, want) in CASES.items():
        gt_path, res_path = write_case(work, name, gt, dets)
        ours = ssd_eval(bin_dir, work, name, gt_path, res_path, "--metric", "coco")["stats"]
        ref_out = os.path.join(work, name + "_reference.json")
        subprocess.run([sys.executable, REFERENCE, gt_path, res_path, ref_out], check=True)
        reference = json.load(open(ref_out))["stats"]
        for who, stats in (("ssd-eval", ours), ("coco_eval_reference.py", reference)):
            bad = [(i, stats[i], want[i]) for i in range(12) if not close(stats[i], want[i])]
            if bad:
                failures.append(f"{name}: {who} (index, got, want): {bad}")
        print(f"{name}: ssd-eval {ours}\n{' ' * len(name)}  reference {reference}")
    gt, dets, want = VOC07_CASE
    gt_path, res_path = write_case(work, "voc07_ticks", gt, dets)
    for ticks, value in want.items():
        got = ssd_eval(bin_dir, work, "voc07_" + ticks, gt_path, res_path, "--metric", "voc07", "--voc07-ticks", ticks)["mAP"]
        print(f"voc07 --voc07-ticks {ticks}: {got}")
        if not close(got, value):
            failures.append(f"voc07 --voc07-ticks {ticks}: got {got}, want {value}")
    if failures:
        print("\n".join(["FAILED:"] + failures))
        sys.exit(1)
    print("every edge case as worked out by hand, in ssd-eval and the reference")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
