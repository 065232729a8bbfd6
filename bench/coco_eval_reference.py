#!/usr/bin/python3
"""The COCO bbox metric in plain Python + NumPy, step for step as pycocotools' COCOeval computes it
(evaluate -> evaluateImg per image, category and area range -> accumulate -> summarize), for the evaluator
benchmark: pycocotools is not packaged in Debian 12, so this is the reference the C++ evaluator is timed against.

Usage: coco_eval_reference.py INSTANCES.json RESULTS.json OUT.json   (OUT: {"stats": [12 numbers], "seconds": t})
Semantics kept from pycocotools: detections sorted by score with a stable sort and cut to maxDets per image and
category; crowd regions (iscrowd) matched by intersection over the detection's area and able to take many
detections; ignored ground truth sorted last and a match to it ignored; unmatched detections outside the area
range ignored; 101 recall points on the right-to-left precision envelope; -1 where nothing is scored.
"""
import json
import sys
import time
from collections import defaultdict

import numpy as np

IOU_THRS = np.linspace(0.5, 0.95, 10)
REC_THRS = np.linspace(0.0, 1.0, 101)
MAX_DETS = [1, 10, 100]
AREAS = [(0, 1e10), (0, 32 ** 2), (32 ** 2, 96 ** 2), (96 ** 2, 1e10)]  # all, small, medium, large


def box_iou(dt, gt, crowd):
    """IoU of [x, y, w, h] rows; for a crowd column, intersection over the detection's area."""
    if len(dt) == 0 or len(gt) == 0:
        return np.zeros((len(dt), len(gt)))
    d, g = np.asarray(dt, float), np.asarray(gt, float)
    iw = np.minimum(d[:, None, 0] + d[:, None, 2], g[None, :, 0] + g[None, :, 2]) - np.maximum(d[:, None, 0], g[None, :, 0])
    ih = np.minimum(d[:, None, 1] + d[:, None, 3], g[None, :, 1] + g[None, :, 3]) - np.maximum(d[:, None, 1], g[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    da = (d[:, 2] * d[:, 3])[:, None]
    union = np.where(np.asarray(crowd, bool)[None, :], da, da + (g[:, 2] * g[:, 3])[None, :] - inter)
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


def evaluate_img(gts, dts, ious, area, max_det):
    """Matches of one image and category in one area range, at every IoU threshold (pycocotools' evaluateImg)."""
    if not gts and not dts:
        return None
    g_ignore = np.array([g["iscrowd"] or not (area[0] <= g["area"] <= area[1]) for g in gts], dtype=int)
    g_order = np.argsort(g_ignore, kind="mergesort")
    gts = [gts[i] for i in g_order]
    g_ignore = g_ignore[g_order]
    crowd = [g["iscrowd"] for g in gts]
    d_order = np.argsort([-d["score"] for d in dts], kind="mergesort")[:max_det]
    dts = [dts[i] for i in d_order]
    ious = ious[d_order][:, g_order] if len(ious) else ious
    T, D, G = len(IOU_THRS), len(dts), len(gts)
    gtm, dtm, d_ignore = np.zeros((T, G)), np.zeros((T, D)), np.zeros((T, D))
    for t, thr in enumerate(IOU_THRS):
        for di in range(D):
            best, m = min(thr, 1 - 1e-10), -1
            for gi in range(G):
                if gtm[t, gi] > 0 and not crowd[gi]:
                    continue
                if m > -1 and g_ignore[m] == 0 and g_ignore[gi] == 1:
                    break
                if ious[di, gi] < best:
                    continue
                best, m = ious[di, gi], gi
            if m == -1:
                continue
            d_ignore[t, di] = g_ignore[m]
            dtm[t, di] = gts[m]["id"]
            gtm[t, m] = dts[di]["id"]
    outside = np.array([not (area[0] <= d["area"] <= area[1]) for d in dts], dtype=bool).reshape(1, D)
    d_ignore = np.logical_or(d_ignore, np.logical_and(dtm == 0, np.repeat(outside, T, 0)))
    return {"scores": np.array([d["score"] for d in dts]), "dtm": dtm, "d_ignore": d_ignore, "g_ignore": g_ignore}


def main(gt_path, res_path, out_path):
    start = time.perf_counter()
    gt = json.load(open(gt_path))
    res = json.load(open(res_path))
    img_ids = sorted(im["id"] for im in gt["images"])
    cat_ids = sorted(c["id"] for c in gt["categories"])
    gts, dts = defaultdict(list), defaultdict(list)
    for a in gt["annotations"]:
        gts[a["image_id"], a["category_id"]].append(a)
    for i, d in enumerate(res, 1):  # loadRes: ids from 1, area w * h
        d = dict(d, id=i, area=d["bbox"][2] * d["bbox"][3], iscrowd=0)
        dts[d["image_id"], d["category_id"]].append(d)
    ious = {}
    for i in img_ids:
        for c in cat_ids:
            g, d = gts[i, c], dts[i, c]
            order = np.argsort([-x["score"] for x in d], kind="mergesort")[: MAX_DETS[-1]]
            d_cut = [d[k] for k in order]
            iou = box_iou([x["bbox"] for x in d_cut], [x["bbox"] for x in g], [x["iscrowd"] for x in g])
            # evaluate_img re-sorts the cut detections (a stable sort of sorted scores keeps them in place)
            dts[i, c] = d_cut
            ious[i, c] = iou
    evals = {(c, a, i): evaluate_img(gts[i, c], dts[i, c], ious[i, c], AREAS[a], MAX_DETS[-1])
             for c in cat_ids for a in range(len(AREAS)) for i in img_ids}

    T, R, K, A, M = len(IOU_THRS), len(REC_THRS), len(cat_ids), len(AREAS), len(MAX_DETS)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    for k, c in enumerate(cat_ids):
        for a in range(A):
            E = [evals[c, a, i] for i in img_ids if evals[c, a, i] is not None]
            if not E:
                continue
            for m, max_det in enumerate(MAX_DETS):
                scores = np.concatenate([e["scores"][:max_det] for e in E])
                order = np.argsort(-scores, kind="mergesort")
                dtm = np.concatenate([e["dtm"][:, :max_det] for e in E], axis=1)[:, order]
                d_ignore = np.concatenate([e["d_ignore"][:, :max_det] for e in E], axis=1)[:, order]
                npig = np.count_nonzero(np.concatenate([e["g_ignore"] for e in E]) == 0)
                if npig == 0:
                    continue
                tps = np.logical_and(dtm, np.logical_not(d_ignore))
                fps = np.logical_and(np.logical_not(dtm), np.logical_not(d_ignore))
                tp_sum = np.cumsum(tps, axis=1).astype(float)
                fp_sum = np.cumsum(fps, axis=1).astype(float)
                for t in range(T):
                    tp, fp = tp_sum[t], fp_sum[t]
                    nd = len(tp)
                    rc = tp / npig
                    pr = (tp / (fp + tp + np.spacing(1))).tolist()
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    q = np.zeros(R)
                    for ri, pi in enumerate(np.searchsorted(rc, REC_THRS, side="left")):
                        if pi < nd:
                            q[ri] = pr[pi]
                    precision[t, :, k, a, m] = q

    def summarize(ap, iou=None, area=0, max_det=2):
        s = precision[:, :, :, area, max_det] if ap else recall[:, :, area, max_det]
        if iou is not None:
            s = s[int(np.argmin(np.abs(IOU_THRS - iou)))]
        s = s[s > -1]
        return float(np.mean(s)) if s.size else -1.0

    stats = [summarize(1), summarize(1, 0.5), summarize(1, 0.75), summarize(1, area=1), summarize(1, area=2), summarize(1, area=3),
             summarize(0, max_det=0), summarize(0, max_det=1), summarize(0), summarize(0, area=1), summarize(0, area=2), summarize(0, area=3)]
    json.dump({"stats": stats, "seconds": time.perf_counter() - start}, open(out_path, "w"))


if __name__ == "__main__":
    main(*sys.argv[1:4])
