#include "ssd/engine/train_step.h"

#include <cmath>
#include <torch/nn/utils/clip_grad.h>

#include "ssd/model/matcher.h"

namespace ssd::engine {

bool StepLoss::finite() const { return std::isfinite(loc) && std::isfinite(conf) && std::isfinite(total); }

StepLoss train_step(model::Ssd& model, torch::optim::Optimizer& optimizer, const data::Batch& batch, const loss::DetectionLoss& loss_fn,
                    const model::BoxCoder& coder, const config::Config& c, c10::Device device) {
  const auto targets = model::assign_targets(batch.boxes, batch.labels, model->priors(), coder, c.model.iou_threshold);
  const auto terms = loss_fn(model->forward(batch.images.to(device)), targets);
  const auto loss = loss::total(terms);
  const StepLoss out{terms.at("loss_loc").item<double>(), terms.at("loss_conf").item<double>(), loss.item<double>()};
  // Never step on a diverged loss: the caller decides what a non-finite loss means (stop, or end a sweep).
  if (!out.finite()) return out;
  optimizer.zero_grad();
  loss.backward();
  if (c.solver.clip_grad_norm > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), c.solver.clip_grad_norm);
  optimizer.step();
  return out;
}

}  // namespace ssd::engine
