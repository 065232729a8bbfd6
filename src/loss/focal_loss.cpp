#include "ssd/loss/focal_loss.h"

#include <ATen/ATen.h>

#include "ssd/loss/box_loss.h"

namespace ssd::loss {

LossTerms FocalLoss::terms(const model::HeadOutput& out, const model::Targets& t, const at::Tensor& n) const {
  const auto positive = t.labels > 0;
  const auto log_p = at::log_softmax(out.conf, -1).gather(-1, t.labels.unsqueeze(-1)).squeeze(-1);  // [B, P]
  const auto p = log_p.exp();
  const auto alpha_t = at::where(positive, at::full_like(p, alpha_), at::full_like(p, 1.0 - alpha_));
  const auto focal = -(alpha_t * (1 - p).pow(gamma_) * log_p).sum();
  return {{"loss_loc", box_(out.loc, t, positive) / n}, {"loss_conf", focal / n}};
}

}  // namespace ssd::loss
