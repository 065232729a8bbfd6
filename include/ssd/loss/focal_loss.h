#pragma once
// Softmax focal loss (Lin et al. 2017) over every default box, no negative mining:
//   FL = -alpha_t * (1 - p_t)^gamma * log(p_t), alpha_t = alpha for object classes, 1 - alpha for background,
// plus the same Smooth-L1 localisation term as MultiBox; both divided by N = max(1, positives).
#include "ssd/loss/detection_loss.h"

namespace ssd::loss {

class FocalLoss : public DetectionLoss {
 public:
  FocalLoss(double alpha, double gamma, double loc_weight) : alpha_(alpha), gamma_(gamma), loc_weight_(loc_weight) {}
  LossTerms terms(const model::HeadOutput& output, const model::Targets& targets, const at::Tensor& n) const override;

 private:
  double alpha_;
  double gamma_;
  double loc_weight_;
};

}  // namespace ssd::loss
