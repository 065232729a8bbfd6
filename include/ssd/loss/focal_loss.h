#pragma once
// Softmax focal loss (Lin et al. 2017) over every default box, no negative mining:
//   FL = -alpha_t * (1 - p_t)^gamma * log(p_t), alpha_t = alpha for object classes, 1 - alpha for background,
// plus the same box term as MultiBox (loss.box); both divided by N = max(1, positives).
#include <string>
#include <utility>

#include "ssd/loss/detection_loss.h"

namespace ssd::loss {

class FocalLoss : public DetectionLoss {
 public:
  FocalLoss(double alpha, double gamma, double loc_weight, std::string box = "smooth_l1", double beta = 1.0)
      : alpha_(alpha), gamma_(gamma), loc_weight_(loc_weight), box_(std::move(box)), beta_(beta) {}
  LossTerms terms(const model::HeadOutput& output, const model::Targets& targets, const at::Tensor& n) const override;

 private:
  double alpha_;
  double gamma_;
  double loc_weight_;
  std::string box_;
  double beta_;
};

}  // namespace ssd::loss
