#pragma once
// A geometric step as one map of the image plane (flips, crops, zoom-out, the affine map): the step draws it and moves
// the boxes with it, and the image is made from it. Maps compose, so augment.pipeline makes the image once for a run
// of such steps (and the fit to the model's input after them) instead of once per step: one resampling, as the SSD
// paper's augmentation does (data/transforms.h's resample).
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace ssd::data::augment_steps {

/// In continuous coordinates (pixel i covers [i, i + 1], as boxes are): the point (x, y) of the image before is at
/// map * (x, y, 1) after, on an image of `size`.
struct Warp {
  cv::Matx23d map = cv::Matx23d(1, 0, 0, 0, 1, 0);
  cv::Size size;
  bool reveals = false;  ///< may bring in points from outside the image before (zoom-out, the affine map)
  bool cuts = false;     ///< leaves out part of the image before (crops)
  int border = cv::BORDER_CONSTANT;
  int interpolation = cv::INTER_LINEAR;
  cv::Scalar fill;  ///< RGB 0..255: what is brought in under a constant border
};

/// The identity on an image of `size`.
Warp identity_warp(cv::Size size);

/// True when making the image once through both maps gives what making it through `first`, then through `second`,
/// gives (up to the one resampling instead of two): both bilinear with a constant border, and what `second` brings in
/// is not what `first` cut away, and is the same colour.
bool composable(const Warp& first, const Warp& second);

/// first, then second, as one map.
Warp compose(const Warp& first, const Warp& second);

/// The image under the map: out of `image`, warp.size, resampled with the warp's interpolation and border.
cv::Mat warp_image(const cv::Mat& image, const Warp& warp);

}  // namespace ssd::data::augment_steps
