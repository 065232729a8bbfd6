#pragma once
// Deterministic transforms on an image and its boxes together. Images are float32 RGB (CV_32FC3, 0..255);
// boxes are the Objects' continuous 0-based pixel xyxy (sample.h).
#include <array>
#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include "ssd/data/sample.h"

namespace ssd::data {

/// Image and boxes travelling together through the pipeline.
struct Labeled {
  cv::Mat image;  ///< CV_32FC3, RGB, 0..255
  std::vector<Object> objects;
};

/// Brightness: adds delta to every channel.
void adjust_brightness(cv::Mat& image, float delta);
/// Contrast: multiplies every channel by factor.
void adjust_contrast(cv::Mat& image, float factor);
/// Saturation and hue in one HSV round trip, as ssd.pytorch does them: the saturation multiplied by
/// saturation_factor (clipped at 1), the hue shifted by hue_delta_degrees (wrapping around 360). Factor 1 and
/// delta 0 leave that part alone.
void adjust_saturation_and_hue(cv::Mat& image, float saturation_factor, float hue_delta_degrees);
/// The same on the 0..255 values as they are (no scaling to 0..1 and back: two passes fewer), for augment.pipeline's
/// saturation and hue steps. The image must be non-negative.
void turn_saturation_and_hue(cv::Mat& image, float saturation_factor, float hue_delta_degrees);
/// Reorders the channels: out[c] = in[order[c]].
void permute_channels(cv::Mat& image, const std::array<int, 3>& order);

/// Zoom-out: places the image at (left, top) on a (width x height) canvas filled with `fill` (RGB).
Labeled expand(const Labeled& in, int width, int height, int left, int top, const cv::Scalar& fill);
/// Crops rect; keeps the objects whose centre lies inside it, clipped to it and shifted.
Labeled crop(const Labeled& in, const cv::Rect& rect);
/// The objects crop() keeps, without touching an image.
std::vector<Object> crop_objects(const std::vector<Object>& objects, const cv::Rect& rect);
/// Where the output of the geometric augmentation comes from: the image placed at (left, top) on a canvas filled
/// with `fill` (zoom-out; left = top = 0 and a view inside the image without one), the `view` rectangle of that
/// canvas (the crop, or the whole canvas), mirrored left-right when `flip`. The canvas's size is the view's
/// business: outside the image everything reads as `fill`.
struct Geometry {
  int left = 0, top = 0;
  cv::Rect view;
  bool flip = false;
  cv::Scalar fill;
};
/// resize(hflip?(crop(expand(image), view)), size) in one bilinear pass over the output of `size` (width x height), without
/// making the canvas or the crop (filling a zoom-out canvas up to 16 times the image was most of the augmentation's
/// time: docs/benchmarks/findings.md). The same sampling positions as cv::resize; weights quantised to 1/32 pixel
/// (cv::warpAffine), and pixels just outside the view are read where resize repeats its edge. `objects` are in
/// view pixels (crop_objects' output, or canvas pixels when the view is the whole canvas); they come back flipped
/// and scaled with the image. expand, crop, hflip and resize below are the step-by-step definition it is tested
/// against (and resize is evaluation's transform).
Labeled resample(const cv::Mat& image, std::vector<Object> objects, const Geometry& geometry, cv::Size size);
/// Mirrors left-right.
Labeled hflip(const Labeled& in);
/// Resizes to `size`, width x height (boxes scaled by the same factors).
Labeled resize(const Labeled& in, cv::Size size);

/// (x - mean) / std per channel, HWC float -> CHW float tensor [3, H, W].
at::Tensor to_normalized_tensor(const cv::Mat& image, const std::vector<double>& mean, const std::vector<double>& std);

/// Boxes as a [N, 4] float tensor divided by (width, height), and labels as [N] int64.
std::pair<at::Tensor, at::Tensor> normalized_targets(const std::vector<Object>& objects, int width, int height);

}  // namespace ssd::data
