#pragma once
// One optimisation step on a batch: targets, forward (under autocast with train.amp), loss in float32, and, when
// the loss is finite, backward, unscaling, gradient clipping (solver.clip_grad_norm) and the optimizer step. The
// trainer, the LR range test and ssd-bench all take it.
#include <c10/core/Device.h>
#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/data/batch.h"
#include "ssd/engine/mixed_precision.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/model/box_coder.h"
#include "ssd/model/ssd.h"

namespace ssd::engine {

struct StepLoss {
  double loc = 0, conf = 0, total = 0;  ///< the batch's loss terms before the step
  bool finite() const;                  ///< false: nothing was changed (no backward, no step)
  /// Mixed precision only: the scaled float16 gradients overflowed, so the optimizer step was skipped and the
  /// loss scale lowered (normal in the first steps while the scale settles).
  bool skipped = false;
};

StepLoss train_step(model::Ssd& model, torch::optim::Optimizer& optimizer, const data::Batch& batch, const loss::DetectionLoss& loss_fn,
                    const model::BoxCoder& coder, const config::Config& config, c10::Device device, MixedPrecision& precision);

}  // namespace ssd::engine
