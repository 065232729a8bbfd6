#pragma once
// From raw head outputs to detections: softmax, decode, per-class score threshold and top-k, per-class
// NMS, then the best max_per_image across classes (torchvision's SSD postprocess_detections).
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/config/config.h"
#include "ssd/model/box_coder.h"

namespace ssd::model {

struct Detections {
  at::Tensor boxes;   ///< [K, 4] xyxy, in the units of the priors (normalised [0, 1]) unless rescaled
  at::Tensor scores;  ///< [K] descending
  at::Tensor labels;  ///< [K] int64, 1-based class index (0 = background is never returned)
};

/// loc [B, P, 4], conf [B, P, C] logits, priors [P, 4] -> one Detections per image. Boxes are clipped to [0, 1].
std::vector<Detections> postprocess(const at::Tensor& loc, const at::Tensor& conf, const at::Tensor& priors,
                                    const BoxCoder& coder, const config::PostprocessConfig& config);

}  // namespace ssd::model
