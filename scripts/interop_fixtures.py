#!/usr/bin/python3
"""Weights files made the way Python makes them, for the C++ interop tests (run by them at test time):
state dicts written by torch.save in the zip format (torch >= 1.6) and in the legacy format that older
published files use (torchvision's vgg16-397923af.pth, for one), with a JSON of what each holds.

Usage: interop_fixtures.py OUT_DIR
Writes OUT_DIR/{mixed,mobilenet_v2}_{zip,legacy}.pth, checkpoint_zip.pth, foreign_zip.pth, expanded_zip.pth and
huge_storage_legacy.pth (sizes declared far beyond the file's bytes), and under the names
torchvision publishes them (legacy format, random weights): vgg16-397923af.pth (VGG16 with its classifier),
mobilenet_v2-b0353104.pth, vgg16_features-amdegroot-88682ab5.pth (features, classifier NaN),
ssd300_vgg16_coco-b556d3b4.pth (torchvision's SSD300 for COCO's 91 classes, zip format) with ssd300_input.png and
ssd300_outputs.pth (torchvision's head outputs and detections on that image), mobilenet_v3_large-8738ca79.pth (zip),
ssdlite320_mobilenet_v3_large_coco-a79551df.pth with ssdlite320_outputs.pth (the same for torchvision's SSD-Lite); and
OUT_DIR/expected.json: {file: [[name, dtype, shape, sum (float64), first up to 4 values flattened], ...],
"vgg16_reduced_fc": {"fc6_weight_sum", "fc6_bias_sum", "fc7_weight_sum", "fc7_bias_sum"},
"ssd300_vgg16_parameters": N, "ssdlite320_parameters": N} (fc6 / fc7 subsampled
as the SSD paper does: every 4th filter, every 3rd kernel tap of fc6, every 4th input of fc7).
"""
import collections
import io
import json
import os
import pickle
import sys

import torch
import torchvision


def hostile_files(out_dir):
    """Files that declare more than they hold: an expanded tensor (stride 0) that declares 2**40 elements over one
    stored value, and mixed_legacy.pth with its first storage's element count raised to 2**61."""
    torch.save({"expanded": torch.zeros(1).expand(2 ** 40)}, os.path.join(out_dir, "expanded_zip.pth"))
    data = bytearray(open(os.path.join(out_dir, "mixed_legacy.pth"), "rb").read())

    class Skip(pickle.Unpickler):  # reads past the five pickles without building tensors
        def persistent_load(self, pid):
            return None

        def find_class(self, module, name):
            return collections.OrderedDict if name == "OrderedDict" else (lambda *args, **kwargs: None)

    stream = io.BytesIO(bytes(data))
    for _ in range(5):  # magic number, protocol version, sys_info, the object, the storage keys
        Skip(stream).load()
    data[stream.tell():stream.tell() + 8] = (2 ** 61).to_bytes(8, "little")
    open(os.path.join(out_dir, "huge_storage_legacy.pth"), "wb").write(bytes(data))


def describe(state):
    out = []
    for name, t in state.items():
        flat = t.detach().reshape(-1)
        out.append([name, str(t.dtype).replace("torch.", ""), list(t.shape), float(flat.double().sum()) if flat.numel() else 0.0,
                    [float(v) for v in flat[:4].double()]])
    return out


def save_reference_outputs(ssd, image_path, out_path):
    """What torchvision's detector computes on the image: its preprocessed input, the head's raw outputs on it, and
    the detections after its post-processing, in the image's pixels."""
    image = torchvision.io.read_image(image_path).float() / 255
    with torch.no_grad():
        batch, _ = ssd.eval().transform([image])
        head = ssd.head(list(ssd.backbone(batch.tensors).values()))
        detections = ssd([image])[0]
    torch.save({"input": batch.tensors[0], "bbox_regression": head["bbox_regression"][0], "cls_logits": head["cls_logits"][0],
                "boxes": detections["boxes"], "scores": detections["scores"], "labels": detections["labels"]}, out_path)


def torchvision_ssd300(out_dir, expected):
    """torchvision's SSD300-VGG16 as its COCO checkpoint is published (zip format, 91 classes; random weights), a test
    image, and what torchvision computes on it: the head's raw outputs on its preprocessed input, and the detections
    after its post-processing, in the image's pixels."""
    torch.manual_seed(1)
    ssd = torchvision.models.detection.ssd300_vgg16(weights=None, weights_backbone=None, num_classes=91).eval()
    with torch.no_grad():
        # A random head scores every class alike; a background bias spreads the scores as a trained model's are, so
        # that the detections are few and well ordered rather than 200 near-ties.
        for conv in ssd.head.classification_head.module_list:
            conv.bias.view(-1, 91)[:, 0] += 4.0
    torch.save(ssd.state_dict(), os.path.join(out_dir, "ssd300_vgg16_coco-b556d3b4.pth"))
    expected["ssd300_vgg16_parameters"] = sum(p.numel() for p in ssd.parameters())
    # A 400 x 300 picture (not square: the resize to 300 x 300 is part of what is compared), lossless PNG.
    y, x = torch.meshgrid(torch.arange(300.0), torch.arange(400.0), indexing="ij")
    picture = torch.stack([128 + 90 * torch.sin(x / 23) * torch.cos(y / 31), 120 + 100 * torch.cos((x + y) / 41),
                           100 + 80 * torch.sin(x * y / 5000)])
    picture[:, 60:180, 90:200] = torch.tensor([220.0, 40.0, 40.0]).view(3, 1, 1)  # a box-like object
    picture[:, 150:280, 250:380] = torch.tensor([30.0, 60.0, 200.0]).view(3, 1, 1)
    # Texture everywhere: flat regions give equal scores at many positions, whose order no two sorts agree on.
    picture += 12 * torch.randn(picture.shape, generator=torch.Generator().manual_seed(3))
    image = picture.clamp(0, 255).round().to(torch.uint8)
    torchvision.io.write_png(image, os.path.join(out_dir, "ssd300_input.png"))
    save_reference_outputs(ssd, os.path.join(out_dir, "ssd300_input.png"), os.path.join(out_dir, "ssd300_outputs.pth"))


def torchvision_ssdlite320(out_dir, expected):
    """torchvision's SSD-Lite with MobileNetV3-Large as its COCO checkpoint is published (91 classes, the reduced tail
    that its builder makes without ImageNet weights; random weights), and what torchvision computes on the test image:
    head outputs on its preprocessed input, and detections after its post-processing."""
    torch.manual_seed(2)
    ssd = torchvision.models.detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=91)
    with torch.no_grad():
        # torchvision's SSD-Lite initialisation, N(0, 0.03), shrinks activations layer by layer until every score is
        # the bias; He initialisation keeps them at unit scale, as in a trained network. Batch-norm statistics and
        # affine values as training leaves them (not 0 / 1), so that using them in eval mode is part of what is
        # compared; and a classification head whose scores spread as a trained one's do.
        for m in ssd.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(1234)
        for block in ssd.head.classification_head.module_list:
            block[1].bias.view(-1, 91)[:, 0] += 4.0
    ssd.eval()
    torch.save(ssd.state_dict(), os.path.join(out_dir, "ssdlite320_mobilenet_v3_large_coco-a79551df.pth"))
    expected["ssdlite320_parameters"] = sum(p.numel() for p in ssd.parameters())
    save_reference_outputs(ssd, os.path.join(out_dir, "ssd300_input.png"), os.path.join(out_dir, "ssdlite320_outputs.pth"))


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    # Every dtype a checkpoint holds, a view into a shared storage with an offset, a transposed (strided) tensor,
    # a scalar, an empty tensor, and the OrderedDict-with-_metadata container of model.state_dict().
    base = torch.randn(6, 5)
    mixed = torch.nn.Module().state_dict()  # an empty OrderedDict carrying _metadata, as real state dicts do
    mixed["float"] = torch.randn(3, 4)
    mixed["view_with_offset"] = base[2:4]
    mixed["shares_storage"] = base
    mixed["transposed"] = torch.randn(4, 3).t()
    mixed["double"] = torch.randn(2, dtype=torch.float64)
    mixed["half"] = torch.randn(5).half()
    mixed["long"] = torch.arange(7)
    mixed["int"] = torch.arange(3, dtype=torch.int32) - 1
    mixed["uint8"] = torch.arange(250, 256, dtype=torch.uint8)
    mixed["bool"] = torch.tensor([True, False, True])
    mixed["scalar"] = torch.tensor(3.5)
    mixed["empty"] = torch.zeros(0, 4)
    mixed["num_batches_tracked"] = torch.tensor(12345678901)

    net = torchvision.models.mobilenet_v2()  # random weights, ImageNet file layout and names
    files = {"mixed": mixed, "mobilenet_v2": net.state_dict()}
    expected = {}
    for stem, state in files.items():
        for fmt, zipped in (("zip", True), ("legacy", False)):
            name = f"{stem}_{fmt}.pth"
            torch.save(state, os.path.join(out_dir, name), _use_new_zipfile_serialization=zipped)
            expected[name] = describe(state)
    # A training checkpoint that nests the state dict, as many scripts save it.
    torch.save({"epoch": 3, "model": mixed, "lr": 0.01}, os.path.join(out_dir, "checkpoint_zip.pth"))
    expected["checkpoint_zip.pth"] = describe(mixed)
    # Not a state dict: a pickled Python object the reader must refuse by name.
    torch.save({"weights": mixed, "schedule": torch.optim.lr_scheduler.StepLR}, os.path.join(out_dir, "foreign_zip.pth"))
    hostile_files(out_dir)
    # ImageNet files under their published names, in the legacy format those were written in.
    vgg = torchvision.models.vgg16().state_dict()
    torch.save(vgg, os.path.join(out_dir, "vgg16-397923af.pth"), _use_new_zipfile_serialization=False)
    expected["vgg16-397923af.pth"] = describe(vgg)
    w6, b6 = vgg["classifier.0.weight"].view(4096, 512, 7, 7)[::4, :, ::3, ::3], vgg["classifier.0.bias"][::4]
    w7, b7 = vgg["classifier.3.weight"].view(4096, 4096, 1, 1)[::4, ::4], vgg["classifier.3.bias"][::4]
    expected["vgg16_reduced_fc"] = {"fc6_weight_sum": float(w6.double().sum()), "fc6_bias_sum": float(b6.double().sum()),
                                    "fc7_weight_sum": float(w7.double().sum()), "fc7_bias_sum": float(b7.double().sum()),
                                    "fc6_weight_shape": list(w6.shape), "fc7_weight_shape": list(w7.shape)}
    # The features file torchvision's SSD starts from: VGG16 names, the classifier without weights (NaN; kept small
    # here, its values are never read).
    features = {k: v for k, v in vgg.items() if k.startswith("features.")}
    for k in ("classifier.0.weight", "classifier.0.bias", "classifier.3.weight", "classifier.3.bias"):
        features[k] = torch.full((4,), float("nan"))
    torch.save(features, os.path.join(out_dir, "vgg16_features-amdegroot-88682ab5.pth"), _use_new_zipfile_serialization=False)
    torch.save(files["mobilenet_v2"], os.path.join(out_dir, "mobilenet_v2-b0353104.pth"), _use_new_zipfile_serialization=False)
    mobilenet_v3 = torchvision.models.mobilenet_v3_large().state_dict()  # the ImageNet classifier: the full tail
    torch.save(mobilenet_v3, os.path.join(out_dir, "mobilenet_v3_large-8738ca79.pth"))
    expected["mobilenet_v3_large-8738ca79.pth"] = describe(mobilenet_v3)
    expected["mobilenet_v2-b0353104.pth"] = expected["mobilenet_v2_legacy.pth"]
    torchvision_ssd300(out_dir, expected)
    torchvision_ssdlite320(out_dir, expected)
    json.dump(expected, open(os.path.join(out_dir, "expected.json"), "w"), allow_nan=False)


if __name__ == "__main__":
    main(sys.argv[1])
