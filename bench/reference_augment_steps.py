"""The Python side of the heavy-pipeline stages of bench/pipeline.py: the steps of ssd-train's augment.pipeline
(src/data/augment_steps/; mosaic aside) as Python users write them, in NumPy + OpenCV (the way Albumentations' own functions are
built), with the same defaults, probabilities and ranges, read from the same YAML config. Each step takes and returns
(image float32 RGB 0..255 HxWx3, boxes [N, 4] float32 xyxy pixels, labels [N]).
"""
import math

import cv2
import numpy as np
import yaml

# Each step's defaults, as in its C++ parameter struct.
DEFAULTS = {
    "hflip": {"p": 0.5}, "vflip": {"p": 0.5},
    "iou_crop": {"p": 0.857, "min_ious": [0.0, 0.1, 0.3, 0.5, 0.7, 0.9], "tries": 50},
    "random_sized_crop": {"p": 0.5, "scale": [0.3, 1.0], "ratio": [0.75, 4 / 3], "min_visibility": 0.3},
    "center_crop": {"p": 1.0, "fraction": 0.8, "min_visibility": 0.3},
    "zoom_out": {"p": 0.5, "max_ratio": 4.0, "fill": []},
    "affine": {"p": 0.5, "degrees": 10, "shear": 0, "translate": 0.1, "scale": [0.8, 1.2], "min_visibility": 0.3,
               "border": "constant", "interpolation": "linear", "fill": []},
    "brightness": {"p": 0.5, "delta": 32}, "contrast": {"p": 0.5, "range": [0.5, 1.5]},
    "saturation": {"p": 0.5, "range": [0.5, 1.5]}, "hue": {"p": 0.5, "degrees": 18},
    "channel_shuffle": {"p": 0.1}, "to_gray": {"p": 0.1},
    "gaussian_blur": {"p": 0.1, "sigma": [0.1, 2.0]}, "motion_blur": {"p": 0.1, "length": [3, 9]},
    "gaussian_noise": {"p": 0.1, "std": [5, 20]}, "clahe": {"p": 0.1, "clip_limit": 2.0, "grid": 8},
    "jpeg": {"p": 0.1, "quality": [30, 95]},
}
BORDERS = {"constant": cv2.BORDER_CONSTANT, "reflect": cv2.BORDER_REFLECT_101, "replicate": cv2.BORDER_REPLICATE}
INTERPOLATIONS = {"linear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST, "cubic": cv2.INTER_CUBIC}


def draw(rng, r):
    r = r if isinstance(r, list) else [r]
    return r[0] if r[0] == r[-1] else rng.uniform(r[0], r[-1])


def clip_boxes(boxes, labels, w, h, min_visibility):
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    clipped = np.stack([np.clip(boxes[:, 0], 0, w), np.clip(boxes[:, 1], 0, h), np.clip(boxes[:, 2], 0, w), np.clip(boxes[:, 3], 0, h)], 1)
    bw, bh = clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1]
    keep = (bw >= 1) & (bh >= 1) & (area > 0) & (bw * bh >= min_visibility * area)
    return clipped[keep], labels[keep]


def hsv_round_trip(image, saturation=1.0, hue=0.0):
    hsv = cv2.cvtColor(np.maximum(image, 0) / 255.0, cv2.COLOR_RGB2HSV)
    if saturation != 1.0:
        hsv[:, :, 1] = np.minimum(hsv[:, :, 1] * saturation, 1.0)
    if hue:
        hsv[:, :, 0] = (hsv[:, :, 0] + hue) % 360.0
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB) * 255.0


def to_bytes(image):
    return np.clip(image, 0, 255).astype(np.uint8)


def flip(image, boxes, labels, q, rng, vertical):
    h, w, _ = image.shape
    if vertical:
        return image[::-1].copy(), np.stack([boxes[:, 0], h - boxes[:, 3], boxes[:, 2], h - boxes[:, 1]], 1), labels
    return image[:, ::-1].copy(), np.stack([w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], 1), labels


def iou_crop(image, boxes, labels, q, rng):
    if not q["min_ious"]:
        return image, boxes, labels
    min_iou = rng.choice(q["min_ious"])
    h, w, _ = image.shape
    for _ in range(q["tries"]):
        cw, ch = rng.uniform(0.3 * w, w), rng.uniform(0.3 * h, h)
        if ch / cw < 0.5 or ch / cw > 2:
            continue
        left, top = int(rng.uniform(0, w - cw)), int(rng.uniform(0, h - ch))
        x1, y1, x2, y2 = left, top, left + max(1, int(cw)), top + max(1, int(ch))
        if len(boxes):
            iw = np.clip(np.minimum(boxes[:, 2], x2) - np.maximum(boxes[:, 0], x1), 0, None)
            ih = np.clip(np.minimum(boxes[:, 3], y2) - np.maximum(boxes[:, 1], y1), 0, None)
            inter = iw * ih
            iou = inter / ((x2 - x1) * (y2 - y1) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter)
            if iou.max() < min_iou:
                continue
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        keep = (centres[:, 0] > x1) & (centres[:, 0] < x2) & (centres[:, 1] > y1) & (centres[:, 1] < y2)
        if len(boxes) and not keep.any():
            continue
        kept = boxes[keep].copy()
        kept[:, :2] = np.maximum(kept[:, :2], (x1, y1)) - (x1, y1)
        kept[:, 2:] = np.minimum(kept[:, 2:], (x2, y2)) - (x1, y1)
        return image[y1:y2, x1:x2].copy(), kept, labels[keep]
    return image, boxes, labels


def cut(image, boxes, labels, x, y, w, h, min_visibility):
    boxes, labels = clip_boxes(boxes - np.array([x, y, x, y], np.float32), labels, w, h, min_visibility)
    return image[y:y + h, x:x + w].copy(), boxes, labels


def random_sized_crop(image, boxes, labels, q, rng):
    h, w, _ = image.shape
    for _ in range(10):
        target = w * h * draw(rng, q["scale"])
        aspect = math.exp(rng.uniform(math.log(q["ratio"][0]), math.log(q["ratio"][-1])))
        cw, ch = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 1 <= cw <= w and 1 <= ch <= h:
            return cut(image, boxes, labels, rng.randint(0, w - cw), rng.randint(0, h - ch), cw, ch, q["min_visibility"])
    return image, boxes, labels


def center_crop(image, boxes, labels, q, rng):
    h, w, _ = image.shape
    cw, ch = max(1, round(w * q["fraction"])), max(1, round(h * q["fraction"]))
    return cut(image, boxes, labels, (w - cw) // 2, (h - ch) // 2, cw, ch, q["min_visibility"])


def zoom_out(image, boxes, labels, q, rng, mean):
    h, w, _ = image.shape
    ratio = rng.uniform(1, q["max_ratio"])
    W, H = int(w * ratio), int(h * ratio)
    left, top = int(rng.uniform(0, W - w)), int(rng.uniform(0, H - h))
    canvas = np.empty((H, W, 3), np.float32)
    canvas[:] = q["fill"] if len(q["fill"]) == 3 else mean
    canvas[top:top + h, left:left + w] = image
    return canvas, boxes + np.array([left, top, left, top], np.float32), labels


def affine(image, boxes, labels, q, rng, mean):
    h, w, _ = image.shape
    cx, cy = w / 2, h / 2
    angle = math.radians(rng.uniform(-q["degrees"], q["degrees"]))
    sx, sy = math.tan(math.radians(rng.uniform(-q["shear"], q["shear"]))), math.tan(math.radians(rng.uniform(-q["shear"], q["shear"])))
    scale = draw(rng, q["scale"])
    tx, ty = rng.uniform(-q["translate"], q["translate"]) * w, rng.uniform(-q["translate"], q["translate"]) * h
    to_centre = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]])
    back = np.array([[1, 0, cx + tx], [0, 1, cy + ty], [0, 0, 1]])
    rotate = np.array([[math.cos(angle), math.sin(angle), 0], [-math.sin(angle), math.cos(angle), 0], [0, 0, 1]])
    shear = np.array([[1, sx, 0], [sy, 1, 0], [0, 0, 1]])
    m = (back @ rotate @ shear @ np.diag([scale, scale, 1.0]) @ to_centre)[:2]
    fill = q["fill"] if len(q["fill"]) == 3 else mean
    image = cv2.warpAffine(image, m, (w, h), flags=INTERPOLATIONS[q["interpolation"]], borderMode=BORDERS[q["border"]],
                           borderValue=tuple(float(v) for v in fill))
    if len(boxes):
        corners = np.stack([boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [0, 3]], boxes[:, [2, 3]]], 1)  # N x 4 x 2
        moved = corners @ m[:, :2].T + m[:, 2]
        boxes = np.concatenate([moved.min(1), moved.max(1)], 1).astype(np.float32)
        boxes, labels = clip_boxes(boxes, labels, w, h, q["min_visibility"])
    return image, boxes, labels


def motion_kernel(length, angle):
    side = length if length % 2 else length + 1
    kernel = np.zeros((side, side), np.float32)
    c, d = (side - 1) / 2.0, (math.cos(angle) * (length - 1) / 2.0, math.sin(angle) * (length - 1) / 2.0)
    cv2.line(kernel, (round(c - d[0]), round(c - d[1])), (round(c + d[0]), round(c + d[1])), 1.0, 1, cv2.LINE_8)
    return kernel / kernel.sum()


def pixels(name, image, q, rng, np_rng):
    """A photometric step on the image alone."""
    if name == "brightness":
        return image + rng.uniform(-q["delta"], q["delta"])
    if name == "contrast":
        return image * draw(rng, q["range"])
    if name == "saturation":
        return hsv_round_trip(image, saturation=draw(rng, q["range"]))
    if name == "hue":
        return hsv_round_trip(image, hue=rng.uniform(-q["degrees"], q["degrees"]))
    if name == "channel_shuffle":
        return image[:, :, rng.sample(range(3), 3)]
    if name == "to_gray":
        return cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    if name == "gaussian_blur":
        sigma = draw(rng, q["sigma"])
        return cv2.GaussianBlur(image, (0, 0), sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101)
    if name == "motion_blur":
        return cv2.filter2D(image, -1, motion_kernel(max(1, round(draw(rng, q["length"]))), rng.uniform(0, math.pi)),
                            borderType=cv2.BORDER_REFLECT_101)
    if name == "gaussian_noise":
        return image + np_rng.normal(0, draw(rng, q["std"]), image.shape).astype(np.float32)
    if name == "clahe":
        lab = cv2.cvtColor(to_bytes(image), cv2.COLOR_RGB2LAB)
        lab[:, :, 0] = cv2.createCLAHE(q["clip_limit"], (q["grid"], q["grid"])).apply(np.ascontiguousarray(lab[:, :, 0]))
        return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB).astype(np.float32)
    if name == "jpeg":
        ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(to_bytes(image), cv2.COLOR_RGB2BGR),
                                   [cv2.IMWRITE_JPEG_QUALITY, round(draw(rng, q["quality"]))])
        return cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32)
    raise ValueError(name)


class Pipeline:
    """augment.pipeline of a config file: its steps in order, each run with its probability."""

    def __init__(self, config_path, mean):
        augment = (yaml.safe_load(open(config_path)) or {}).get("augment", {})
        self.mean = mean
        self.steps = [(name, {**DEFAULTS[name], **(augment.get(name) or {})}) for name in augment.get("pipeline", [])]

    def __call__(self, image, boxes, labels, rng, np_rng):
        image = image.astype(np.float32)
        for name, q in self.steps:
            if not (q["p"] > 0 and rng.random() < q["p"]):
                continue
            if name in ("hflip", "vflip"):
                image, boxes, labels = flip(image, boxes, labels, q, rng, name == "vflip")
            elif name in ("iou_crop", "random_sized_crop", "center_crop"):
                image, boxes, labels = globals()[name](image, boxes, labels, q, rng)
            elif name in ("zoom_out", "affine"):
                image, boxes, labels = globals()[name](image, boxes, labels, q, rng, self.mean)
            else:
                image = np.clip(pixels(name, image, q, rng, np_rng), 0, 255).astype(np.float32)
        return image, boxes, labels
