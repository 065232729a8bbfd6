#pragma once
// One versioned archive per checkpoint: meta (format version, LibTorch version, resolved config), model,
// optimizer, and trainer counters. Written atomically: a temporary file in the same folder, flushed to disk,
// then renamed over the old one, so a crash or kill at any moment leaves the previous checkpoint whole.
#include <string>

#include <torch/optim/optimizer.h>

#include "ssd/model/ssd.h"

namespace ssd::engine {

/// Where a run stands; everything beyond model and optimizer that an exact resume needs.
struct TrainState {
  int64_t iteration = 0;       ///< optimizer steps taken (the schedule's t)
  int64_t epoch = 0;           ///< current epoch (0-based)
  int64_t batch_in_epoch = 0;  ///< batches of `epoch` already consumed
  double best_metric = -1.0;   ///< best validation mAP so far (-1 = none yet)
  int64_t best_epoch = -1;
  int64_t total_iters = 0;       ///< the run's length when written (a resumed run with more epochs is extended)
  std::string schedule_state;    ///< the LR schedule's own state (reduce-on-plateau), "" for pure schedules
  std::string early_stop_state;  ///< early stopping's best value and wait counter
  std::string amp_state;         ///< train.amp's gradient scaler ("scale clean_steps"), "" without float16 AMP
  std::string config_yaml;     ///< the resolved config of the run
};

constexpr int64_t kCheckpointFormat = 1;

/// Writes model (+ optimizer when given) + state to `path` atomically. Throws CheckpointError.
void save_checkpoint(const std::string& path, model::Ssd& model, torch::optim::Optimizer* optimizer, const TrainState& state);

/// The state and config stored in a checkpoint, without touching any model. Throws CheckpointError naming
/// the file and the reason (missing, truncated, not a checkpoint, other format version).
TrainState read_checkpoint_state(const std::string& path);

/// Loads the weights (and the optimizer state when given) into objects built from the checkpoint's config.
/// Throws CheckpointError when a tensor is missing or has another shape.
void load_checkpoint(const std::string& path, model::Ssd& model, torch::optim::Optimizer* optimizer);

/// A checkpoint file from a path that is a checkpoint or a run directory (then its last.pt).
std::string resolve_checkpoint_path(const std::string& path);

}  // namespace ssd::engine
