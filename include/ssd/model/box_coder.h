#pragma once
// Centre-size box coding with variances (the SSD paper, eq. 2, with Caffe's variances):
//   encode: d_cx = (g_cx - p_cx) / (v0 * p_w), d_cy likewise, d_w = log(g_w / p_w) / v1, d_h likewise;
//   decode: the inverse. Priors are cxcywh, boxes xyxy, all in the same (normalised) units.
#include <ATen/core/Tensor.h>

namespace ssd::model {

class BoxCoder {
 public:
  /// variances = (centre, size), e.g. (0.1, 0.2).
  BoxCoder(double center_variance, double size_variance) : center_variance_(center_variance), size_variance_(size_variance) {}

  /// boxes [..., P, 4] xyxy, priors [P, 4] cxcywh -> deltas [..., P, 4].
  at::Tensor encode(const at::Tensor& boxes, const at::Tensor& priors) const;
  /// deltas [..., P, 4], priors [P, 4] cxcywh -> boxes [..., P, 4] xyxy.
  at::Tensor decode(const at::Tensor& deltas, const at::Tensor& priors) const;

 private:
  double center_variance_;
  double size_variance_;
};

}  // namespace ssd::model
