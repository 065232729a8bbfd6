#!/usr/bin/python3
"""The Python side of bench/micro.py: torchvision.ops and torchvision's SSD code on the inputs ssd-micro-bench uses
(bench/micro_bench.cpp; bench_boxes and sequence below are its formulas). Prints one JSON line: {"side": "python",
"threads": N, "results": {case name: {"seconds": median seconds per call, "runs": timed calls, "kept": boxes kept
where the case keeps some}}}.

Usage: reference_micro.py [--threads 0] [--min-seconds 1.0]
"""
import argparse
import json
import os
import statistics
import time

import torch
from torchvision.models.detection import ssd300_vgg16
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import box_iou, nms


def sequence(n, step):
    return torch.frac(torch.arange(n, dtype=torch.float64) * step)


def bench_boxes(n, offset=0.0):
    """micro_bench.cpp's bench_boxes: n boxes of side 2%..22% of a 300-pixel image (xyxy pixels)."""
    cx, cy = sequence(n, 0.6180339887498949 + offset), sequence(n, 0.7548776662466927 + offset)
    side = 0.02 + 0.2 * sequence(n, 0.5698402909980532 + offset)
    return (torch.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], 1) * 300).float()


def bench_scores(n):
    return sequence(n, 0.4142135623730951).float()


def timed(fn, min_seconds):
    """Median seconds per call: 3 warm-up calls, then calls until min_seconds have passed (at least 5)."""
    for _ in range(3):
        fn()
    times = []
    while sum(times) < min_seconds or len(times) < 5:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--min-seconds", type=float, default=1.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads or os.cpu_count())
    results = {}

    def record(name, fn, kept=None):
        seconds, runs = timed(fn, a.min_seconds)
        results[name] = {"seconds": seconds, "runs": runs}
        if kept is not None:
            results[name]["kept"] = kept

    for n in (8732, 24564):
        boxes, scores = bench_boxes(n), bench_scores(n)
        record(f"Nms/{n}", lambda: nms(boxes, scores, 0.45), kept=int(nms(boxes, scores, 0.45).numel()))
    priors, truth = bench_boxes(8732), bench_boxes(20, 0.1)
    record("BoxIou/8732", lambda: box_iou(truth, priors))

    # torchvision's SSD300: its default boxes (pixels, xyxy), its matcher (IoU 0.5 plus each object's best box) and
    # box coder (weights 10, 10, 5, 5 = variances 0.1, 0.2), and its post-processing with our per-class top-k.
    model = ssd300_vgg16(weights=None, weights_backbone=None, num_classes=21).eval()
    model.topk_candidates = 200
    features = [torch.zeros(1, 1, s, s) for s in (38, 19, 10, 5, 3, 1)]
    anchors = model.anchor_generator(ImageList(torch.zeros(1, 3, 300, 300), [(300, 300)]), features)[0]
    truths = [(bench_boxes(8, 0.01 * i), 1 + (torch.arange(8) + i) % 20) for i in range(32)]

    def match_and_encode():
        deltas = []
        for boxes, labels in truths:
            matched = model.proposal_matcher(box_iou(boxes, anchors))
            index = matched.clamp(min=0)
            target_labels = labels[index]
            target_labels[matched < 0] = 0
            deltas.append(model.box_coder.encode_single(boxes[index], anchors))
        return torch.stack(deltas)

    record("MatchAndEncode/32", match_and_encode)

    p, classes = anchors.shape[0], 21
    loc = (sequence(p * 4, 0.3819660112501051) - 0.5).float().view(1, p, 4)
    conf = (6 * sequence(p * classes, 0.2360679774997897) - 3).float().view(1, p, classes)
    conf[:, :, 0] = 2
    head = {"bbox_regression": loc, "cls_logits": conf}
    post = lambda: model.postprocess_detections(head, [anchors], [(300, 300)])  # noqa: E731
    record("Postprocess", post, kept=int(post()[0]["scores"].numel()))
    print(json.dumps({"side": "python", "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
