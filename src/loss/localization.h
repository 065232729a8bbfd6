#pragma once
// Shared by the losses: the Smooth-L1 localisation sum over positives.
#include <ATen/ATen.h>

namespace ssd::loss::detail {

/// Sum of Smooth-L1 (beta 1) over the positive rows of loc [B, P, 4] against deltas [B, P, 4].
inline at::Tensor smooth_l1_positive_sum(const at::Tensor& loc, const at::Tensor& deltas, const at::Tensor& positive) {
  const auto mask = positive.unsqueeze(-1).expand_as(loc);
  return at::smooth_l1_loss(loc.masked_select(mask), deltas.masked_select(mask).to(loc.scalar_type()),
                            at::Reduction::Sum, /*beta=*/1.0);
}

}  // namespace ssd::loss::detail
