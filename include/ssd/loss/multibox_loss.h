#pragma once
// MultiBox loss (Liu et al. 2016): Smooth-L1 (beta 1) over positive default boxes plus softmax
// cross-entropy over positives and the hardest negatives, at most neg_pos_ratio negatives per positive in
// each image, chosen by their confidence loss. Both terms are divided by N = max(1, positives in the batch).
#include "ssd/loss/detection_loss.h"

namespace ssd::loss {

class MultiboxLoss : public DetectionLoss {
 public:
  MultiboxLoss(double neg_pos_ratio, double loc_weight) : neg_pos_ratio_(neg_pos_ratio), loc_weight_(loc_weight) {}
  LossTerms terms(const model::HeadOutput& output, const model::Targets& targets, const at::Tensor& n) const override;

 private:
  double neg_pos_ratio_;
  double loc_weight_;
};

}  // namespace ssd::loss
