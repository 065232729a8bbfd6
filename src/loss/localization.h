#pragma once
// Shared by the losses: the Smooth-L1 localisation sum over positives, and the normaliser N.
#include <ATen/ATen.h>

namespace ssd::loss::detail {

/// N = max(1, number of positives in the batch), as a float tensor on the labels' device.
inline at::Tensor normaliser(const at::Tensor& positive) { return positive.sum().clamp_min(1).to(at::kFloat); }

/// Sum of Smooth-L1 (beta 1) over the positive rows of loc [B, P, 4] against deltas [B, P, 4].
inline at::Tensor smooth_l1_positive_sum(const at::Tensor& loc, const at::Tensor& deltas, const at::Tensor& positive) {
  const auto mask = positive.unsqueeze(-1).expand_as(loc);
  return at::smooth_l1_loss(loc.masked_select(mask), deltas.masked_select(mask).to(loc.scalar_type()),
                            at::Reduction::Sum, /*beta=*/1.0);
}

}  // namespace ssd::loss::detail
