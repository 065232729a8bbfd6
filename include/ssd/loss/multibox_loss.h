#pragma once
// MultiBox loss (Liu et al. 2016): the box term (loss.box; Smooth-L1 with beta 1 by default, loss/box_loss.h) over
// positive default boxes plus softmax cross-entropy (against targets smoothed by loss.label_smoothing, 0 by default)
// over positives and the hardest negatives, at most neg_pos_ratio negatives per positive in each image, chosen by
// their confidence loss. Both terms are divided by N = max(1, positives in the batch).
#include <utility>

#include "ssd/loss/box_loss.h"
#include "ssd/loss/detection_loss.h"

namespace ssd::loss {

class MultiboxLoss : public DetectionLoss {
 public:
  explicit MultiboxLoss(double neg_pos_ratio, BoxTerm box = {}, double label_smoothing = 0.0)
      : neg_pos_ratio_(neg_pos_ratio), box_(std::move(box)), label_smoothing_(label_smoothing) {}
  LossTerms terms(const model::HeadOutput& output, const model::Targets& targets, const at::Tensor& n) const override;

 private:
  double neg_pos_ratio_;
  BoxTerm box_;
  double label_smoothing_;
};

}  // namespace ssd::loss
