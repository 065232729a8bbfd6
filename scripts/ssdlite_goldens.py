"""SSD-Lite with MobileNetV3-Large for scripts/make_goldens.py: torchvision's ssdlite320_mobilenet_v3_large.

Parameter counts (21 and 91 classes) of both tails, the backbone's state-dict names and shapes, the feature maps at
320 px, the default boxes, and MobileNetV3 feature parameter counts at other widths; tests/model/mobilenet_v3_test.cpp
compares. torchvision builds the reduced tail (MobileNetV3 paper, table 6) when no ImageNet backbone is loaded, which
includes its published COCO checkpoint; with ImageNet weights, the full tail.
"""
from functools import partial

import torch
from torch import nn
from torchvision.models.mobilenetv3 import mobilenet_v3_large
from torchvision.models.detection import ssdlite320_mobilenet_v3_large
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator
from torchvision.models.detection.ssd import SSD
from torchvision.models.detection.ssdlite import SSDLiteHead, _mobilenet_extractor


def ssdlite320_full_tail(num_classes):
    # What ssdlite320_mobilenet_v3_large builds with weights_backbone=IMAGENET1K_V1 (reduce_tail = weights_backbone
    # is None, so False), assembled from the builder's own parts so that nothing is downloaded.
    norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)
    backbone = _mobilenet_extractor(mobilenet_v3_large(weights=None, norm_layer=norm_layer, reduced_tail=False), 6, norm_layer)
    anchors = DefaultBoxGenerator([[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95)
    channels = det_utils.retrieve_out_channels(backbone, (320, 320))
    head = SSDLiteHead(channels, anchors.num_anchors_per_location(), num_classes, norm_layer)
    return SSD(backbone, anchors, (320, 320), num_classes, head=head, image_mean=[0.5] * 3, image_std=[0.5] * 3)


def golden():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    out = {}
    for tail, build in [("reduced", lambda nc: ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=nc)),
                        ("full", ssdlite320_full_tail)]:
        for nc in (21, 91):
            model = build(nc)
            out[f"parameters_{tail}_{nc}"] = count(model)
        model.eval()
        with torch.no_grad():
            maps = model.backbone(torch.zeros(1, 3, 320, 320)).values()
        out[f"maps_{tail}"] = [[m.shape[1], m.shape[2]] for m in maps]  # [channels, side] at 320 px
        out[f"backbone_state_dict_{tail}"] = {k: list(v.shape) for k, v in model.state_dict().items() if k.startswith("backbone.")}
    # Other widths: torchvision's SSD-Lite builder cannot pass width_mult (its **kwargs also reach SSD(), which
    # rejects it), so only the MobileNetV3 features have a reference: parameters of backbone.features.* per width.
    for w in (0.5, 0.75):
        for tail in ("reduced", "full"):
            features = mobilenet_v3_large(weights=None, width_mult=w, reduced_tail=tail == "reduced").features
            out[f"features_parameters_{tail}_w{w}"] = count(features)
    # Default boxes: the builder's own generator on the 320 px maps ([4] cxcywh each, normalised, clipped).
    boxes = DefaultBoxGenerator([[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95)._grid_default_boxes(
        [[s, s] for _, s in out["maps_reduced"]], [320, 320])
    out["default_boxes"] = int(boxes.shape[0])
    out["priors_cxcywh"] = [round(float(v), 6) for v in boxes.flatten().tolist()]
    # The COCO checkpoint (ssdlite320_mobilenet_v3_large_coco-a79551df.pth) is the reduced tail with 91 classes.
    from torchvision.models.detection.ssdlite import SSDLite320_MobileNet_V3_Large_Weights
    out["coco_v1_num_params"] = SSDLite320_MobileNet_V3_Large_Weights.COCO_V1.meta["num_params"]
    return out


