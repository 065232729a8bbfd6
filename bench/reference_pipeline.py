#!/usr/bin/python3
"""The Python side of bench/pipeline.py: the SSD training data pipeline as Python users write it (NumPy + OpenCV,
the augmentation of ssd.pytorch / the SSD paper, a torch DataLoader with worker processes), timed by the stages of
ssd-pipeline-bench (bench/pipeline_bench.cpp) on the same VOC-layout files. Prints one JSON line in its format,
with "side": "python".

The augmentation draws the same distortions with the same probabilities and ranges as ssd-train's defaults
(config key augment): brightness +-32, contrast 0.5..1.5 before or after the HSV steps, saturation 0.5..1.5 and hue
+-18 degrees in one HSV round trip (as ssd.pytorch), channel swap, zoom-out up to 4x filled with the mean, the
IoU-constrained crop (minimum IoU from {0, 0.1, 0.3, 0.5, 0.7, 0.9}, 50 tries, object centres kept), flip, resize,
normalisation to a CHW float tensor.

With --heavy CONFIG, also the stages heavy and heavy_loader: augment and loader with the config's augment.pipeline
(bench/reference_augment_steps.py) in place of the SSD paper's augmentation.

Usage: reference_pipeline.py --data ROOT [--split train] [--image-size 300] [--batch 32] [--workers 0] [--seconds 3]
       [--heavy CONFIG]
"""
import argparse
import json
import os
import random
import time
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import torch

from reference_augment_steps import Pipeline

MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)
MIN_IOUS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9)


def read_voc(root, split):
    """[(image path, boxes [N, 4] float32 xyxy pixels, labels [N] int64)] of one VOC split."""
    names = ("circle", "square", "triangle", "star")
    with open(os.path.join(root, "ImageSets", "Main", split + ".txt")) as f:
        ids = [line.strip() for line in f if line.strip()]
    items = []
    for i in ids:
        tree = ET.parse(os.path.join(root, "Annotations", i + ".xml"))
        boxes, labels = [], []
        for obj in tree.findall("object"):
            b = obj.find("bndbox")
            boxes.append([float(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")])
            boxes[-1][0] -= 1
            boxes[-1][1] -= 1
            labels.append(1 + names.index(obj.find("name").text))
        items.append((os.path.join(root, "JPEGImages", i + ".jpg"), np.array(boxes, np.float32).reshape(-1, 4),
                      np.array(labels, np.int64)))
    return items


def load(path):
    return cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def iou_with(rect, boxes):
    x1, y1, x2, y2 = rect
    iw = np.clip(np.minimum(boxes[:, 2], x2) - np.maximum(boxes[:, 0], x1), 0, None)
    ih = np.clip(np.minimum(boxes[:, 3], y2) - np.maximum(boxes[:, 1], y1), 0, None)
    inter = iw * ih
    union = (x2 - x1) * (y2 - y1) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return inter / np.maximum(union, 1e-9)


def photometric(image, rng, p=0.5):
    if rng.random() < p:
        image += rng.uniform(-32, 32)
    contrast_first = rng.random() < 0.5
    if contrast_first and rng.random() < p:
        image *= rng.uniform(0.5, 1.5)
    np.maximum(image, 0, out=image)
    hsv = cv2.cvtColor(image / 255.0, cv2.COLOR_RGB2HSV)
    if rng.random() < p:
        hsv[:, :, 1] = np.minimum(hsv[:, :, 1] * rng.uniform(0.5, 1.5), 1.0)
    if rng.random() < p:
        hsv[:, :, 0] = (hsv[:, :, 0] + rng.uniform(-18, 18)) % 360.0
    image = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB) * 255.0
    if not contrast_first and rng.random() < p:
        image *= rng.uniform(0.5, 1.5)
    if rng.random() < p:
        image = image[:, :, rng.sample(range(3), 3)]
    return np.clip(image, 0, 255)


def expand(image, boxes, rng, max_ratio=4.0):
    h, w, _ = image.shape
    ratio = rng.uniform(1, max_ratio)
    left, top = int(rng.uniform(0, w * ratio - w)), int(rng.uniform(0, h * ratio - h))
    canvas = np.empty((int(h * ratio), int(w * ratio), 3), np.float32)
    canvas[:] = MEAN
    canvas[top:top + h, left:left + w] = image
    return canvas, boxes + np.array([left, top, left, top], np.float32)


def random_crop(image, boxes, labels, rng):
    min_iou = rng.choice(MIN_IOUS)
    h, w, _ = image.shape
    for _ in range(50):
        cw, ch = rng.uniform(0.3 * w, w), rng.uniform(0.3 * h, h)
        if ch / cw < 0.5 or ch / cw > 2:
            continue
        left, top = int(rng.uniform(0, w - cw)), int(rng.uniform(0, h - ch))
        rect = (left, top, left + max(1, int(cw)), top + max(1, int(ch)))
        if len(boxes) and iou_with(rect, boxes).max() < min_iou:
            continue
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        keep = (centres[:, 0] > rect[0]) & (centres[:, 0] < rect[2]) & (centres[:, 1] > rect[1]) & (centres[:, 1] < rect[3])
        if len(boxes) and not keep.any():
            continue
        kept = boxes[keep].copy()
        kept[:, :2] = np.maximum(kept[:, :2], rect[:2]) - rect[:2]
        kept[:, 2:] = np.minimum(kept[:, 2:], rect[2:]) - rect[:2]
        return image[rect[1]:rect[3], rect[0]:rect[2]].copy(), kept, labels[keep]
    return image, boxes, labels


def augment(image, boxes, labels, size, rng):
    image = photometric(image.astype(np.float32), rng)
    if rng.random() < 0.5:
        image, boxes = expand(image, boxes, rng)
    if rng.random() < 0.857:
        image, boxes, labels = random_crop(image, boxes, labels, rng)
    if rng.random() < 0.5:
        image = image[:, ::-1]
        w = image.shape[1]
        boxes = np.stack([w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], 1)
    return finish(image, boxes, labels, size)


def finish(image, boxes, labels, size):
    """Resized to size x size, normalised, as tensors."""
    h, w, _ = image.shape
    image = cv2.resize(np.ascontiguousarray(image), (size, size), interpolation=cv2.INTER_LINEAR)
    boxes = boxes / np.array([w, h, w, h], np.float32)
    tensor = torch.from_numpy(((image - MEAN) / STD).transpose(2, 0, 1).copy())
    return tensor, torch.from_numpy(boxes), torch.from_numpy(labels)


class HeavyAugment:
    """augment.pipeline's steps, then the resize and normalisation."""

    def __init__(self, config_path):
        self.pipeline = Pipeline(config_path, MEAN)

    def __call__(self, image, boxes, labels, size, rng):
        image, boxes, labels = self.pipeline(image, boxes, labels, rng, np.random.default_rng(rng.getrandbits(64)))
        return finish(image, boxes, labels, size)


class VocDataset(torch.utils.data.Dataset):
    def __init__(self, items, size, transform=augment):
        self.items, self.size, self.transform = items, size, transform

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, boxes, labels = self.items[i]
        return self.transform(load(path), boxes, labels, self.size, random.Random(i))


def collate(samples):
    return torch.stack([s[0] for s in samples]), [s[1] for s in samples], [s[2] for s in samples]


def per_second(seconds, step):
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        step(calls)
        calls += 1
    return calls / (time.perf_counter() - start)


def loader_rate(dataset, a, workers):
    """Images/s of batches from a torch DataLoader with `workers` processes, after a warm-up batch."""
    loader = torch.utils.data.DataLoader(dataset, batch_size=a.batch, shuffle=True, drop_last=True, num_workers=workers,
                                         collate_fn=collate, persistent_workers=True)
    it = iter(loader)
    next(it)  # warm-up: the workers start
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < a.seconds:
        try:
            count += len(next(it)[1])
        except StopIteration:
            it = iter(loader)
    return count / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--image-size", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--workers", type=int, default=0, help="0 = every core")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--heavy", help="a config whose augment.pipeline the heavy stages run")
    a = ap.parse_args()
    items = read_voc(a.data, a.split)
    n = len(items)
    cv2.setNumThreads(1)  # one core for the single-stage figures, as ssd-pipeline-bench
    torch.set_num_threads(1)
    data = []
    for path, _, _ in items:
        with open(path, "rb") as f:
            data.append(np.frombuffer(f.read(), np.uint8))
    images = [load(path) for path, _, _ in items]
    rng = random.Random(1)
    stages = {
        "decode_limit": per_second(a.seconds, lambda i: cv2.imdecode(data[i % n], cv2.IMREAD_COLOR)),
        "read_decode": per_second(a.seconds, lambda i: load(items[i % n][0])),
        "augment": per_second(a.seconds, lambda i: augment(images[i % n], items[i % n][1], items[i % n][2], a.image_size, rng)),
        "full": per_second(a.seconds, lambda i: augment(load(items[i % n][0]), items[i % n][1], items[i % n][2], a.image_size, rng)),
    }
    workers = a.workers or os.cpu_count()
    stages["loader"] = loader_rate(VocDataset(items, a.image_size), a, workers)
    if a.heavy:
        heavy = HeavyAugment(a.heavy)
        stages["heavy"] = per_second(a.seconds, lambda i: heavy(images[i % n], items[i % n][1], items[i % n][2], a.image_size, rng))
        stages["heavy_loader"] = loader_rate(VocDataset(items, a.image_size, heavy), a, workers)
    print(json.dumps({"side": "python", "images": n, "workers": workers, "stages": stages}))


if __name__ == "__main__":
    main()
