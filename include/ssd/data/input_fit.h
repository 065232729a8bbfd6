#pragma once
// How an image of any size becomes the model's input of width x height (model.resize), and how a box found in the
// input goes back to the image. stretch resizes each side to the input's (the SSD paper's; the aspect ratio changes);
// letterbox scales the longer side to fit and pads the rest (centred) with the pixel mean, so nothing is lost or
// distorted; smallest_side scales the shorter side to fit and cuts the rest (centred), so nothing is distorted and
// the margins are not seen. Training (the last step of the augmentation), evaluation and detection use the same policy:
// the model's (SsdOptions::resize).
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core/types.hpp>

#include "ssd/data/transforms.h"

namespace ssd::data {

/// model.resize's choices, in the order docs list them.
const std::vector<std::string>& resize_policies();

/// Where an image's pixels land in the input: input x = image x * sx + ox (and y likewise); `resized` is the image's
/// size after scaling, before the padding or the cut.
struct InputPlacement {
  double sx = 1, sy = 1, ox = 0, oy = 0;
  cv::Size resized;
};

/// The placement of a `image`-sized image in an `input`-sized input under `policy`.
InputPlacement place_in_input(cv::Size image, cv::Size input, const std::string& policy);

/// The image fitted into the input under `policy`, its objects moved with it: stretch is resize(); letterbox pads with
/// `fill` (RGB 0..255); smallest_side keeps the objects whose centre lies in the cut, clipped to it (crop()'s rule).
Labeled fit_to_input(const Labeled& in, cv::Size input, const std::string& policy, const cv::Scalar& fill);

/// What fit_to_input does to the objects of an image of `image` size, without an image.
std::vector<Object> fit_objects(std::vector<Object> objects, cv::Size image, cv::Size input, const std::string& policy);

/// Boxes [N, 4] in [0, 1] of the input (the post-processing's) to [0, 1] of an image of `image` size, which
/// to_pixel_detections scales to pixels; under stretch the same tensor.
at::Tensor input_boxes_to_image(const at::Tensor& boxes, cv::Size image, cv::Size input, const std::string& policy);

}  // namespace ssd::data
