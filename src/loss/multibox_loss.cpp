#include "ssd/loss/multibox_loss.h"

#include <ATen/ATen.h>

#include <limits>

#include "ssd/loss/box_loss.h"

namespace ssd::loss {

LossTerms MultiboxLoss::terms(const model::HeadOutput& out, const model::Targets& t, const at::Tensor& n) const {
  const int64_t B = out.conf.size(0), P = out.conf.size(1), C = out.conf.size(2);
  const auto positive = t.labels > 0;  // [B, P]

  const auto ce = at::cross_entropy_loss(out.conf.reshape({B * P, C}), t.labels.reshape({B * P}), {}, at::Reduction::None,
                                         /*ignore_index=*/-100, label_smoothing_)
                      .view({B, P});
  // Hard negative mining: rank the background boxes of each image by their loss, keep the top ratio * positives.
  at::Tensor hard_negative;
  {
    at::NoGradGuard no_grad;
    const auto negative_loss = ce.masked_fill(positive, -std::numeric_limits<float>::infinity());
    const auto order = std::get<1>(negative_loss.sort(/*dim=*/1, /*descending=*/true));
    const auto rank = std::get<1>(order.sort(1));
    const auto num_negative = (positive.sum(1, /*keepdim=*/true) * neg_pos_ratio_).floor();
    hard_negative = (rank < num_negative) & positive.logical_not();
  }
  const auto conf_loss = ce.masked_select(positive | hard_negative).sum();
  return {{"loss_loc", box_(out.loc, t, positive) / n}, {"loss_conf", conf_loss / n}};
}

}  // namespace ssd::loss
