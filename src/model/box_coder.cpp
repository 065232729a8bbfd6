#include "ssd/model/box_coder.h"

#include <ATen/ATen.h>

#include <cmath>

#include "ssd/ops/boxes.h"

namespace ssd::model {

namespace {
// exp() of a size delta is clamped so that an untrained head cannot produce inf boxes
// (torchvision's bbox_xform_clip = log(1000 / 16)).
const double kMaxSizeDelta = std::log(1000.0 / 16.0);
}  // namespace

at::Tensor BoxCoder::encode(const at::Tensor& boxes, const at::Tensor& priors) const {
  const auto g = ops::xyxy_to_cxcywh(boxes);
  const auto p_xy = priors.slice(-1, 0, 2), p_wh = priors.slice(-1, 2, 4);
  const auto d_xy = (g.slice(-1, 0, 2) - p_xy) / (center_variance_ * p_wh);
  // A degenerate ground-truth box (zero width) would give log(0). The matcher never makes it a positive
  // (it overlaps no prior), so the clamp only keeps the rows that the loss ignores finite.
  const auto d_wh = at::log(g.slice(-1, 2, 4).clamp_min(1e-8) / p_wh) / size_variance_;
  return at::cat({d_xy, d_wh}, -1);
}

at::Tensor BoxCoder::decode(const at::Tensor& deltas, const at::Tensor& priors) const {
  const auto p_xy = priors.slice(-1, 0, 2), p_wh = priors.slice(-1, 2, 4);
  const auto xy = p_xy + deltas.slice(-1, 0, 2) * center_variance_ * p_wh;
  const auto wh = p_wh * at::exp((deltas.slice(-1, 2, 4) * size_variance_).clamp_max(kMaxSizeDelta));
  return ops::cxcywh_to_xyxy(at::cat({xy, wh}, -1));
}

}  // namespace ssd::model
