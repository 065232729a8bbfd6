#include "ssd/loss/detection_loss.h"

#include <ATen/ATen.h>

#include "ssd/loss/focal_loss.h"
#include "ssd/loss/multibox_loss.h"
#include "ssd/loss/sigmoid_focal_loss.h"

namespace ssd::loss {

at::Tensor total(const LossTerms& terms) {
  at::Tensor sum;
  for (const auto& [name, value] : terms) sum = sum.defined() ? sum + value : value;
  return sum;
}

at::Tensor DetectionLoss::positive_count(const model::Targets& targets) { return (targets.labels > 0).sum().to(at::kFloat); }

at::Tensor DetectionLoss::normaliser(const at::Tensor& count) { return count.clamp_min(1); }

namespace {

BoxTerm box_term(const config::LossConfig& c) { return {c.box, c.smooth_l1_beta, c.loc_weight}; }

}  // namespace

const util::Registry<util::Plugin<LossFactory>>& loss_registry() {
  static const util::Registry<util::Plugin<LossFactory>> registry(
      "loss", "loss.name",
      {
          {"multibox", "box term (loss.box) + cross-entropy with hard negative mining (the SSD paper)",
           [](const config::LossConfig& c) -> std::unique_ptr<DetectionLoss> {
             return std::make_unique<MultiboxLoss>(c.neg_pos_ratio, box_term(c), c.label_smoothing);
           }},
          {"focal", "box term (loss.box) + softmax focal loss over all default boxes (RetinaNet)",
           [](const config::LossConfig& c) -> std::unique_ptr<DetectionLoss> {
             if (c.label_smoothing > 0)
               throw ConfigError("loss.label_smoothing: smooths multibox's cross-entropy; the focal loss has none (leave it 0)");
             return std::make_unique<FocalLoss>(c.focal_alpha, c.focal_gamma, box_term(c));
           }},
          {"sigmoid_focal", "box term + sigmoid focal loss, one binary problem per class over all default boxes (RetinaNet's form)",
           [](const config::LossConfig& c) -> std::unique_ptr<DetectionLoss> {
             if (c.label_smoothing > 0)
               throw ConfigError("loss.label_smoothing: smooths multibox's cross-entropy; the sigmoid focal loss has none (leave it 0)");
             return std::make_unique<SigmoidFocalLoss>(c.focal_alpha, c.focal_gamma, box_term(c));
           }},
          {"bce", "box term + binary cross-entropy per class over all default boxes (sigmoid focal with gamma 0, unweighted)",
           [](const config::LossConfig& c) -> std::unique_ptr<DetectionLoss> {
             if (c.label_smoothing > 0)
               throw ConfigError("loss.label_smoothing: smooths multibox's cross-entropy; bce has none (leave it 0)");
             return std::make_unique<SigmoidFocalLoss>(-1.0, 0.0, box_term(c));
           }},
      });
  return registry;
}

std::unique_ptr<DetectionLoss> make_loss(const config::LossConfig& config) {
  return loss_registry().get(config.name).factory(config);
}

}  // namespace ssd::loss
