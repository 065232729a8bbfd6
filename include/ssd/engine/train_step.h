#pragma once
// One optimisation step on a batch: targets (the model matches and codes them), forward (under autocast with
// train.amp), loss in float32, and, when the loss is finite, backward, unscaling, gradient clipping
// (solver.clip_grad_norm) and the optimizer step. The training loop, the LR range test and ssd-bench all take it.
#include <c10/core/Device.h>
#include <torch/optim/optimizer.h>

#include "ssd/data/batch.h"
#include "ssd/distributed/communicator.h"
#include "ssd/distributed/gradient_buckets.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/model/ssd.h"
#include "ssd/runtime/mixed_precision.h"

namespace ssd::engine {

struct StepLoss {
  double loc = 0, conf = 0, total = 0;  ///< the batch's loss terms before the step
  bool finite() const;                  ///< false: nothing was changed (no backward, no step)
  /// Mixed precision only: the scaled float16 gradients overflowed, so the optimizer step was skipped and the
  /// loss scale lowered (normal in the first steps while the scale settles).
  bool skipped = false;
};

/// A step whose batch is split across processes (distributed training): each process holds its share of the batch.
/// The share's loss is divided by the whole batch's N (summed over the processes), the gradients are summed, and the
/// loss terms reported are the whole batch's: every process takes the step one process would take on the whole batch,
/// and decides alike about a non-finite loss.
struct DataParallel {
  const distributed::Communicator* communicator = nullptr;
  distributed::GradientBuckets* gradients = nullptr;
};

/// clip_grad_norm: the global gradient L2 norm is clipped to it; 0 = off. `parallel`: null in a process alone.
StepLoss train_step(model::Ssd& model, torch::optim::Optimizer& optimizer, const data::Batch& batch, const loss::DetectionLoss& loss_fn,
                    double clip_grad_norm, c10::Device device, runtime::MixedPrecision& precision, const DataParallel* parallel = nullptr);

}  // namespace ssd::engine
