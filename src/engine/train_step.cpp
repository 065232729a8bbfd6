#include "ssd/engine/train_step.h"

#include <cmath>
#include <torch/nn/utils/clip_grad.h>

namespace ssd::engine {

bool StepLoss::finite() const { return std::isfinite(loc) && std::isfinite(conf) && std::isfinite(total); }

StepLoss train_step(model::Ssd& model, torch::optim::Optimizer& optimizer, const data::Batch& batch, const loss::DetectionLoss& loss_fn,
                    double clip_grad_norm, c10::Device device, runtime::MixedPrecision& precision, const DataParallel* parallel) {
  const auto targets = model->assign_targets(batch.boxes, batch.labels);
  model::HeadOutput out;
  {
    runtime::AutocastScope autocast(precision.enabled, device, precision.dtype);
    // non_blocking: an asynchronous copy when the loader pinned the batch (CUDA); an ordinary one otherwise.
    out = model->forward(batch.images.to(device, /*non_blocking=*/true));
  }
  // The loss in float32 whatever the forward ran in: log-softmax and hard-negative ranking need the range.
  if (precision.enabled) out = {out.loc.to(at::kFloat), out.conf.to(at::kFloat)};
  const bool split = parallel != nullptr && !parallel->communicator->alone();
  auto positives = loss::DetectionLoss::positive_count(targets);
  if (split) {
    std::vector<at::Tensor> count{positives};
    parallel->communicator->sum(count, "the count of positive default boxes");
    positives = count[0];
  }
  const auto terms = loss_fn.terms(out, targets, loss::DetectionLoss::normaliser(positives));
  const auto loss = loss::total(terms);
  StepLoss step{terms.at("loss_loc").item<double>(), terms.at("loss_conf").item<double>(), loss.item<double>()};
  if (split) {
    // The whole batch's terms: the shares' sum. A NaN in any process makes every process's sum NaN: all skip alike.
    const auto whole = parallel->communicator->sum(std::vector<double>{step.loc, step.conf}, "the loss");
    step = {whole[0], whole[1], whole[0] + whole[1]};
  }
  // Never step on a diverged loss: the caller decides what a non-finite loss means (stop, or end a sweep).
  if (!step.finite()) return step;
  // Gradients dropped rather than zeroed (torch's zero_grad(set_to_none=True)): backward then hands each
  // parameter its new gradient instead of adding it to a zero-filled one, a fill and an add over every parameter
  // saved per step. Optimizers, clipping and the scaler skip undefined gradients.
  for (auto& group : optimizer.param_groups())
    for (auto& p : group.params()) p.mutable_grad().reset();
  auto& scaler = precision.scaler;
  if (split) parallel->gradients->begin_step();
  scaler.scale_loss(loss).backward();
  if (split) parallel->gradients->sum_gradients();
  // Clipping sees the true gradients: unscaled first.
  const bool gradients_finite = scaler.unscale(model->parameters());
  if (gradients_finite) {
    if (clip_grad_norm > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), clip_grad_norm);
    optimizer.step();
  }
  scaler.update(gradients_finite);
  step.skipped = !gradients_finite;
  return step;
}

}  // namespace ssd::engine
