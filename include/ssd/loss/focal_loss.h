#pragma once
// Softmax focal loss (Lin et al. 2017) over every default box, no negative mining:
//   FL = -alpha_t * (1 - p_t)^gamma * log(p_t), alpha_t = alpha for object classes, 1 - alpha for background,
// plus the same box term as MultiBox (loss.box); both divided by N = max(1, positives).
#include <utility>

#include "ssd/loss/box_loss.h"
#include "ssd/loss/detection_loss.h"

namespace ssd::loss {

class FocalLoss : public DetectionLoss {
 public:
  FocalLoss(double alpha, double gamma, BoxTerm box = {}) : alpha_(alpha), gamma_(gamma), box_(std::move(box)) {}
  LossTerms terms(const model::HeadOutput& output, const model::Targets& targets, const at::Tensor& n) const override;

 private:
  double alpha_;
  double gamma_;
  BoxTerm box_;
};

}  // namespace ssd::loss
