#pragma once
// RetinaNet's classification (Lin et al. 2017): each object class a binary problem on its own logit, over every default
// box, a background box being a negative for every class; the head's background logit is not used.
//   loss = BCE(logit, target) * (1 - p_t)^gamma * alpha_t,  p_t = p for the box's class and 1 - p for the others,
//   alpha_t = alpha for the box's class, 1 - alpha for the others (alpha < 0: no weighting)
// as torchvision.ops.sigmoid_focal_loss computes it; "bce" is the same with gamma 0 and no weighting (per-class binary
// cross-entropy). Plus the box term (loss.box); both divided by N = max(1, positives).
#include <utility>

#include "ssd/loss/box_loss.h"
#include "ssd/loss/detection_loss.h"

namespace ssd::loss {

class SigmoidFocalLoss : public DetectionLoss {
 public:
  SigmoidFocalLoss(double alpha, double gamma, BoxTerm box = {}) : alpha_(alpha), gamma_(gamma), box_(std::move(box)) {}
  LossTerms terms(const model::HeadOutput& output, const model::Targets& targets, const at::Tensor& n) const override;

 private:
  double alpha_;
  double gamma_;
  BoxTerm box_;
};

}  // namespace ssd::loss
