"""SSD-Lite with a MobileNetV2 backbone in torchvision's parts, for the Python side of bench/speed.py: torchvision has
an SSD-Lite builder for MobileNetV3 only. The architecture is the project's `mobilenet_v2` backbone (the MobileNetV2
paper's SSDLite): torchvision's mobilenet_v2 features with SSD-Lite's batch norm (eps 0.001, momentum 0.03), the
first source map taken at the expansion layer of the first stride-32 block (160 channels), the last at the 1x1
convolution to 1280 channels, four extra blocks (torchvision's _extra_block) of 512, 256, 256, 128 channels times the
width, torchvision's SSDLiteHead, 6 default boxes per cell. reference_speed.py checks that the parameter count equals
ssd-bench's."""
from collections import OrderedDict
from functools import partial

import torch
from torch import nn
from torchvision.models import mobilenet_v2
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator
from torchvision.models.detection.ssd import SSD
from torchvision.models.detection.ssdlite import SSDLiteHead, _extra_block


class MobileNetV2Extractor(nn.Module):
    def __init__(self, width, norm_layer):
        super().__init__()
        features = mobilenet_v2(width_mult=width, norm_layer=norm_layer).features
        # The last block of stride 2 (to stride 32); torchvision's InvertedResidual keeps its stride.
        tap = max(i for i, block in enumerate(features) if getattr(block, "stride", 1) == 2)
        expansion, rest = features[tap].conv[0], features[tap].conv[1:]  # no residual: stride 2
        self.features = nn.Sequential(nn.Sequential(*features[:tap], expansion), nn.Sequential(rest, *features[tap + 1:]))
        depth = lambda d: max(16, int(d * width))  # noqa: E731
        last = features[-1][0].out_channels
        self.extra = nn.ModuleList([_extra_block(last, depth(512), norm_layer), _extra_block(depth(512), depth(256), norm_layer),
                                    _extra_block(depth(256), depth(256), norm_layer), _extra_block(depth(256), depth(128), norm_layer)])

    def forward(self, x):
        out = []
        for block in self.features:
            x = block(x)
            out.append(x)
        for block in self.extra:
            x = block(x)
            out.append(x)
        return OrderedDict((str(i), v) for i, v in enumerate(out))


def ssdlite_mobilenet_v2(num_classes, size=320, width=1.0):
    norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)
    backbone = MobileNetV2Extractor(width, norm_layer)
    with torch.no_grad():
        channels = [f.shape[1] for f in backbone.eval()(torch.zeros(1, 3, size, size)).values()]
    anchors = DefaultBoxGenerator([[2, 3] for _ in channels], min_ratio=0.2, max_ratio=0.95)
    head = SSDLiteHead(channels, anchors.num_anchors_per_location(), num_classes, norm_layer)
    return SSD(backbone, anchors, (size, size), num_classes, head=head, image_mean=[0.5] * 3, image_std=[0.5] * 3)
