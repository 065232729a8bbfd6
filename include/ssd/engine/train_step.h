#pragma once
// One optimisation step on a batch: targets, forward, loss, and, when the loss is finite, backward, gradient
// clipping (solver.clip_grad_norm) and the optimizer step. The trainer and the LR range test both take it.
#include <c10/core/Device.h>
#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/data/loader.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/model/box_coder.h"
#include "ssd/model/ssd.h"

namespace ssd::engine {

struct StepLoss {
  double loc = 0, conf = 0, total = 0;  ///< the batch's loss terms before the step
  bool finite() const;                  ///< false: nothing was changed (no backward, no step)
};

StepLoss train_step(model::Ssd& model, torch::optim::Optimizer& optimizer, const data::Batch& batch, const loss::DetectionLoss& loss_fn,
                    const model::BoxCoder& coder, const config::Config& config, c10::Device device);

}  // namespace ssd::engine
