#include "ssd/loss/sigmoid_focal_loss.h"

#include <ATen/ATen.h>

#include "ssd/loss/box_loss.h"

namespace ssd::loss {

LossTerms SigmoidFocalLoss::terms(const model::HeadOutput& out, const model::Targets& t, const at::Tensor& n) const {
  const int64_t C = out.conf.size(-1);
  const auto logits = out.conf.narrow(-1, 1, C - 1);  // the object classes' logits
  const auto target = at::one_hot(t.labels, C).narrow(-1, 1, C - 1).to(logits.scalar_type());
  const auto ce = at::binary_cross_entropy_with_logits(logits, target, {}, {}, at::Reduction::None);
  const auto p = at::sigmoid(logits);
  const auto p_t = p * target + (1 - p) * (1 - target);
  auto loss = ce * (1 - p_t).pow(gamma_);
  if (alpha_ >= 0) loss = loss * (alpha_ * target + (1 - alpha_) * (1 - target));
  return {{"loss_loc", box_(out.loc, t, t.labels > 0) / n}, {"loss_conf", loss.sum() / n}};
}

}  // namespace ssd::loss
