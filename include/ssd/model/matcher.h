#pragma once
// Prior <-> ground-truth assignment as in the SSD paper: every ground-truth box first takes the default
// box with which it has the highest IoU (so no object goes unmatched), then every other default box takes
// the ground truth it overlaps most if that IoU is at least the threshold; the rest are background.
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/model/box_coder.h"

namespace ssd::model {

struct MatchResult {
  at::Tensor labels;  ///< [P] int64: 0 = background, else the matched box's class (1-based)
  at::Tensor boxes;   ///< [P, 4] xyxy of the matched ground truth (zeros for background)
};

/// gt_boxes [G, 4] xyxy and priors [P, 4] cxcywh in the same units; gt_labels [G] int64 (>= 1). G may be 0.
/// Computed on CPU in float32 (whatever the inputs' device and type), returned on the priors' device and type.
MatchResult match(const at::Tensor& gt_boxes, const at::Tensor& gt_labels, const at::Tensor& priors,
                  double iou_threshold);

struct Targets {
  at::Tensor labels;  ///< [B, P] int64
  at::Tensor deltas;  ///< [B, P, 4] encoded boxes (meaningful where labels > 0)
  at::Tensor priors;  ///< [P, 4] cxcywh: the default boxes the deltas are coded against (losses on decoded boxes)
  BoxCoder coder{0.1, 0.2};  ///< how they are coded
};

/// Matches and encodes every image of a batch (boxes normalised to [0, 1] like the priors).
Targets assign_targets(const std::vector<at::Tensor>& gt_boxes, const std::vector<at::Tensor>& gt_labels,
                       const at::Tensor& priors, const BoxCoder& coder, double iou_threshold);

}  // namespace ssd::model
