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
/// Saturation: multiplies the HSV saturation by factor.
void adjust_saturation(cv::Mat& image, float factor);
/// Hue: shifts the HSV hue by delta degrees (wrapping around 360).
void shift_hue(cv::Mat& image, float delta_degrees);
/// Reorders the channels: out[c] = in[order[c]].
void permute_channels(cv::Mat& image, const std::array<int, 3>& order);

/// Zoom-out: places the image at (left, top) on a (width x height) canvas filled with `fill` (RGB).
Labeled expand(const Labeled& in, int width, int height, int left, int top, const cv::Scalar& fill);
/// Crops rect; keeps the objects whose centre lies inside it, clipped to it and shifted.
Labeled crop(const Labeled& in, const cv::Rect& rect);
/// Mirrors left-right.
Labeled hflip(const Labeled& in);
/// Resizes to size x size (boxes scaled by the same factors).
Labeled resize(const Labeled& in, int size);

/// (x - mean) / std per channel, HWC float -> CHW float tensor [3, H, W].
at::Tensor to_normalized_tensor(const cv::Mat& image, const std::vector<double>& mean, const std::vector<double>& std);

/// Boxes as a [N, 4] float tensor divided by (width, height), and labels as [N] int64.
std::pair<at::Tensor, at::Tensor> normalized_targets(const std::vector<Object>& objects, int width, int height);

}  // namespace ssd::data
