#pragma once
// The box-regression term of every loss (loss.box), summed over the positive default boxes (the loss divides by N):
//   smooth_l1  Smooth L1 on the coded offsets, quadratic below beta = loss.smooth_l1_beta (1: the SSD paper's)
//   l1         L1 on the coded offsets
//   iou        1 - IoU of the decoded box with its object
//   giou       1 - IoU + (C - U) / C, C the area of the smallest box enclosing both, U their union (Rezatofighi et al.
//              2019)
//   diou       1 - IoU + rho^2 / c^2, rho the distance of the two centres, c the diagonal of that enclosing box (Zheng
//              et al. 2020)
//   ciou       diou + alpha v, v = 4 / pi^2 (atan(w_object / h_object) - atan(w / h))^2, alpha = v / (1 - IoU + v)
//              taken as a constant (no gradient), as the paper's and torchvision's
// The IoU family decodes the predicted offsets and the targets' against their default boxes (model::Targets::priors),
// with eps = 1e-7 where torchvision.ops' generalized_box_iou_loss, distance_box_iou_loss and complete_box_iou_loss
// put it; tests/loss/box_loss_test.cpp checks the values against them (tests/golden/losses.json).
#include <functional>
#include <string>

#include <ATen/core/Tensor.h>

#include "ssd/model/matcher.h"
#include "ssd/util/registry.h"

namespace ssd::loss {

/// The positive default boxes of a batch: predicted and target offsets, their default boxes, and the coding.
struct PositiveBoxes {
  at::Tensor loc, deltas, priors;  ///< [N, 4] each
  const model::BoxCoder* coder = nullptr;
};

/// A box loss: the sum over the boxes; `beta` is loss.smooth_l1_beta.
using BoxLossFn = std::function<at::Tensor(const PositiveBoxes& boxes, double beta)>;
const util::Registry<util::Plugin<BoxLossFn>>& box_loss_registry();

/// The box term of loc [B, P, 4] against the targets, summed over the default boxes where `positive` [B, P].
at::Tensor box_loss_sum(const std::string& name, double beta, const at::Tensor& loc, const model::Targets& targets,
                        const at::Tensor& positive);

/// A loss's box term as the config sets it: loss.box, loss.smooth_l1_beta and its weight loss.loc_weight.
struct BoxTerm {
  std::string name = "smooth_l1";
  double beta = 1.0;
  double weight = 1.0;
  /// weight x box_loss_sum (the caller divides by N).
  at::Tensor operator()(const at::Tensor& loc, const model::Targets& targets, const at::Tensor& positive) const {
    return box_loss_sum(name, beta, loc, targets, positive) * weight;
  }
};

}  // namespace ssd::loss
