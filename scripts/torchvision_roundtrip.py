#!/usr/bin/python3
"""Reads an ssd-export file back with torchvision (the round trip of tests/interop/torchvision_ssd_test.cpp).

Usage: torchvision_roundtrip.py EXPORT.pth OURS.pth [LOADER.py]
OURS.pth (torch::pickle_save): {"input": [3, S, S], "loc": [P, 4], "conf": [P, C], "priors": [P, 4]} from the C++ model.
Without LOADER.py: torchvision.models.detection.ssd300_vgg16(num_classes=C), or ssdlite320_mobilenet_v3_large for an
SSD-Lite file, takes the file with a strict load_state_dict, and its head gives on the input what the C++ model gave
(within 1e-4).
With LOADER.py (the script ssd-export writes beside the file): the model it builds gives the same head outputs, and
its default boxes are the C++ model's priors (within 1e-6).
Exit 0 when all holds, 1 with the reason otherwise.
"""
import sys

import torch
import torchvision


def main(exported, ours_path, loader=None):
    ours = torch.load(ours_path)
    if loader:
        scope = {}
        exec(open(loader).read(), scope)
        model = scope["model"]
    else:
        state = torch.load(exported)
        builder = torchvision.models.detection.ssd300_vgg16 if "backbone.scale_weight" in state else \
            torchvision.models.detection.ssdlite320_mobilenet_v3_large
        model = builder(weights=None, weights_backbone=None, num_classes=ours["conf"].shape[-1])
        model.load_state_dict(state)  # strict: every name and shape must be torchvision's
    model.eval()
    with torch.no_grad():
        features = list(model.backbone(ours["input"][None]).values())
        head = model.head(features)
    worst = 0.0
    for theirs, mine in ((head["bbox_regression"][0], ours["loc"]), (head["cls_logits"][0], ours["conf"])):
        if theirs.shape != mine.shape:
            print(f"shape {tuple(theirs.shape)} from torchvision, {tuple(mine.shape)} from C++")
            return 1
        worst = max(worst, float((theirs - mine).abs().max()))
    print(f"largest difference of the head outputs {worst:.3g}")
    if worst > 1e-4:
        return 1
    if loader:
        size = list(ours["input"].shape[-2:])
        boxes = model.anchor_generator._grid_default_boxes([list(f.shape[-2:]) for f in features], size)
        if boxes.shape != ours["priors"].shape:
            print(f"default boxes {tuple(boxes.shape)} from torchvision, {tuple(ours['priors'].shape)} from C++")
            return 1
        box_worst = float((boxes - ours["priors"]).abs().max())
        print(f"largest difference of the default boxes {box_worst:.3g}")
        if box_worst > 1e-6:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
