#pragma once
// How well a set of default boxes covers the training boxes: each box's best IoU with any default box at its own
// position. A box whose best IoU is below the matcher's threshold (model.iou_threshold) has no default box that is a
// positive for it: the matcher still forces it onto its best default box, but that box's regression starts far from it,
// and at evaluation no default box is near it. Small objects at a coarse stride are where this happens.
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/analysis/box_shapes.h"

namespace ssd::analysis {

/// Each box's best IoU with any of `priors` ([P, 4] cxcywh normalised to the input, as the model holds them).
std::vector<double> best_prior_iou(const BoxShapes& shapes, const at::Tensor& priors);

/// The share of `best` below `threshold` (NaN when empty).
double unmatched_share(const std::vector<double>& best, double threshold);

}  // namespace ssd::analysis
