#!/usr/bin/python3
"""The Python side of bench/speed.py: seconds per training step (forward, matching, loss, backward, SGD step), per
forward pass of torchvision's detector of the same architecture on the batch ssd-bench uses, or per batch of
end-to-end inference on JPEG files (torchvision.io.read_image, then the model called as torchvision's users call it:
its transform resizes and normalises, forward, its post-processing with ssd-detect's thresholds, boxes in pixels).
Prints one JSON line in ssd-bench's format, with "side": "python".

The step is torchvision's SSD.forward in training mode without its GeneralizedRCNNTransform (the batch is already
normalised and at the input size, as ssd-bench's): backbone, head, default boxes, IoU matching, compute_loss (smooth
L1 + cross-entropy with 3:1 hard negative mining), backward, SGD with momentum and weight decay.

With --device cuda the batch lives in page-locked host memory and each step copies it to the GPU without blocking,
as ssd-bench's (and a DataLoader with pin_memory=True) does; each iteration ends with torch.cuda.synchronize(), as
the GPU runs kernels asynchronously; cuDNN's autotuner is on (torch.backends.cudnn.benchmark), as ssd-bench's
runtime.cudnn_benchmark default. --amp there is float16 autocast with a GradScaler (torch.autocast's CUDA recipe);
on the CPU it is bfloat16 autocast.

Usage: reference_speed.py --backbone vgg16|mobilenet_v3_large|mobilenet_v2 --image-size 300|512|320 [--width 1.0] --classes 21 --batch 8
                          --mode train|forward|detect [--images DIR] [--warmup 2] [--iters 5] [--threads 0] [--objects 3]
                          [--device cpu|cuda|cuda:N] [--amp] [--memory-format contiguous|channels_last]
"""
import argparse
import json
import math
import os
import time

import torch
import torchvision
from torchvision.models import vgg16
from torchvision.models.detection import ssd300_vgg16, ssdlite320_mobilenet_v3_large
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.ssd import SSD, SSDFeatureExtractorVGG
from torchvision.ops import boxes as box_ops

from ssdlite_mobilenet_v2 import ssdlite_mobilenet_v2


def bench_boxes(image, objects, classes):
    """Object k of image i, as ssd-bench's bench_boxes (normalised xyxy; labels 1..classes-1)."""
    boxes, labels = [], []
    for k in range(objects):
        t = math.fmod(0.37 * (image * objects + k) + 0.11, 1.0)
        side = 0.1 + 0.4 * t
        x, y = (1 - side) * math.fmod(3.1 * t, 1.0), (1 - side) * math.fmod(5.7 * t, 1.0)
        boxes.append([x, y, x + side, y + side])
        labels.append(1 + (image + k) % (classes - 1))
    return torch.tensor(boxes), torch.tensor(labels)


def conv_flops(model, images):
    """Multiply-adds x 2 of every convolution in one forward pass (the arithmetic the model needs, the same on both
    sides; activations, normalisation and pooling are left out as negligible)."""
    total = [0]

    def hook(module, inputs, output):
        kh, kw = module.kernel_size
        total[0] += 2 * output.numel() * (module.in_channels // module.groups) * kh * kw

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    model.eval()
    with torch.no_grad():
        model.head(list(model.backbone(images).values()))
    for h in handles:
        h.remove()
    return total[0]


def build(backbone, size, classes, width):
    if backbone == "vgg16" and size == 300:
        return ssd300_vgg16(weights=None, weights_backbone=None, num_classes=classes)
    if backbone == "vgg16" and size == 512:  # torchvision has no SSD512 builder; its parts make one
        ratios = [[2], [2, 3], [2, 3], [2, 3], [2, 3], [2], [2]]
        return SSD(SSDFeatureExtractorVGG(vgg16().features, highres=True), DefaultBoxGenerator(ratios), (512, 512), classes)
    if backbone == "mobilenet_v3_large" and size == 320:
        return ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=classes)
    if backbone == "mobilenet_v2":  # torchvision has no builder; bench/ssdlite_mobilenet_v2.py makes one from its parts
        return ssdlite_mobilenet_v2(classes, size, width)
    raise SystemExit(f"reference_speed.py: no torchvision model for {backbone} at {size}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backbone", default="vgg16")
    ap.add_argument("--image-size", type=int, default=300)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--classes", type=int, default=21)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--mode", choices=["train", "forward", "detect"], default="train")
    ap.add_argument("--images")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--objects", type=int, default=3)
    ap.add_argument("--memory-format", choices=["contiguous", "channels_last"], default="contiguous",
                    help="torchvision's default is contiguous; channels_last as model.to(memory_format=...) does it")
    ap.add_argument("--amp", action="store_true", help="torch.autocast around the model (bfloat16 on the CPU, float16 "
                    "with a GradScaler on CUDA); loss in float32")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    a = ap.parse_args()
    if a.width != 1.0 and a.backbone != "mobilenet_v2":
        raise SystemExit("reference_speed.py: torchvision builds these models at width 1.0 only")
    torch.set_num_threads(a.threads or os.cpu_count())
    torch.manual_seed(1)
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    # cuDNN picks its fastest algorithm per shape, as ssd-bench does (runtime.cudnn_benchmark, on by default); both
    # sides keep LibTorch's default TF32 for convolutions.
    torch.backends.cudnn.benchmark = cuda
    model = build(a.backbone, a.image_size, a.classes, a.width).to(device)
    size = a.image_size
    host_images = torch.randn(a.batch, 3, size, size)
    host_targets = []
    for i in range(a.batch):
        boxes, labels = bench_boxes(i, a.objects, a.classes)
        host_targets.append({"boxes": boxes * size, "labels": labels})  # torchvision's targets are in pixels
    if a.memory_format == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        host_images = host_images.contiguous(memory_format=torch.channels_last)
    if cuda:
        host_images = host_images.pin_memory()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    # float16 on CUDA needs its loss scaled (small gradients underflow); bfloat16 on the CPU does not.
    amp_dtype = torch.float16 if cuda else torch.bfloat16
    scaler = None
    if a.amp and cuda:
        scaler = torch.amp.GradScaler("cuda") if hasattr(torch.amp, "GradScaler") else torch.cuda.amp.GradScaler()

    def to_device():
        """The step's batch on the device, copied as a pinned DataLoader batch is (a copy on the CPU is a no-op)."""
        images = host_images.to(device, non_blocking=True)
        targets = [{k: v.to(device, non_blocking=True) for k, v in t.items()} for t in host_targets]
        return images, targets

    def train_step():
        model.train()
        images, targets = to_device()
        with torch.autocast(device.type, dtype=amp_dtype, enabled=a.amp):
            features = list(model.backbone(images).values())
            head = model.head(features)
        if a.amp:
            head = {k: v.float() for k, v in head.items()}
        anchors = model.anchor_generator(ImageList(images, [(size, size)] * a.batch), features)
        matched = []
        for anchors_per_image, target in zip(anchors, targets):
            matched.append(model.proposal_matcher(box_ops.box_iou(target["boxes"], anchors_per_image)))
        losses = model.compute_loss(targets, head, anchors, matched)
        loss = losses["bbox_regression"] + losses["classification"]
        optimizer.zero_grad()
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        if not math.isfinite(float(loss)):
            raise SystemExit("reference_speed.py: the loss diverged")

    def forward():
        model.eval()
        images, _ = to_device()
        with torch.no_grad(), torch.autocast(device.type, dtype=amp_dtype, enabled=a.amp):
            head = model.head(list(model.backbone(images).values()))
            float(head["cls_logits"].sum())

    files = sorted(os.path.join(a.images, f) for f in os.listdir(a.images)) if a.mode == "detect" else []
    # ssd-detect's defaults (config key postprocess): score 0.01, NMS IoU 0.45, 200 per class, 200 per image.
    model.score_thresh, model.nms_thresh, model.topk_candidates, model.detections_per_img = 0.01, 0.45, 200, 200
    detections = [0]
    step = [0]

    def detect():
        model.eval()
        batch_files = [files[(step[0] * a.batch + k) % len(files)] for k in range(a.batch)]
        step[0] += 1
        with torch.no_grad():
            inputs = [torchvision.io.read_image(f, torchvision.io.ImageReadMode.RGB).to(device).float() / 255
                      for f in batch_files]
            found = model(inputs)
        detections[0] = sum(int(d["scores"].numel()) for d in found)

    flops = conv_flops(model, host_images.to(device))
    run = {"train": train_step, "forward": forward, "detect": detect}[a.mode]
    times = []
    for i in range(a.warmup + a.iters):
        start = time.perf_counter()
        run()
        if cuda:
            torch.cuda.synchronize(device)
        if i >= a.warmup:
            times.append(time.perf_counter() - start)
    print(json.dumps({"side": "python", "model": f"{a.backbone}@{size}", "mode": a.mode, "batch": a.batch, "memory_format": a.memory_format, "amp": a.amp,
                      "device": str(device), "device_name": torch.cuda.get_device_name(device) if cuda else None,
                      "threads": torch.get_num_threads(), "parameters": sum(p.numel() for p in model.parameters()),
                      "times": times, "forward_flops": flops, "detections": detections[0], "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
