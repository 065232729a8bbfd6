#pragma once
// What the training loop shares with its hooks: the objects a step works on, where the run stands, and the services
// the loop offers (a checkpoint of everything, the news of a validation). The loop owns the position; each hook owns
// its own state (engine/hook.h).
#include <functional>
#include <map>
#include <string>

#include <c10/core/Device.h>
#include <torch/optim/optimizer.h>

#include "ssd/data/batch.h"
#include "ssd/data/loader.h"
#include "ssd/distributed/communicator.h"
#include "ssd/engine/train_step.h"
#include "ssd/model/ssd.h"

namespace ssd::eval {
struct EvalReport;
}

namespace ssd::engine {

/// Where a run stands: the loop's own state, saved in every checkpoint.
struct LoopPosition {
  int64_t iteration = 0;       ///< optimizer steps taken; during a step's hooks, the index of that step
  int64_t epoch = 0;           ///< the epoch being run (0-based)
  int64_t batch_in_epoch = 0;  ///< batches of `epoch` already consumed
};

/// The run's length, fixed when it starts.
struct RunPlan {
  int64_t iters_per_epoch = 1;
  int64_t epochs = 1;
  int64_t total_iters = 1;  ///< iters_per_epoch x epochs: the schedules' run
  int64_t stop_at = 1;      ///< where this run stops (train.max_iters, when set, comes first)
};

/// One validation, as EvaluationHook hands it to every hook.
struct Validation {
  std::map<std::string, double> metrics;  ///< val/mAP (VOC all-point), val/mAP07, val/loss
  const eval::EvalReport* report = nullptr;  ///< detections and ground truth, for the report
};

struct TrainContext {
  model::Ssd model{nullptr};
  torch::optim::Optimizer* optimizer = nullptr;
  data::DataLoader* loader = nullptr;
  c10::Device device{c10::kCPU};
  std::string run_dir;
  RunPlan plan;
  LoopPosition position;
  int rank = 0;        ///< this process's rank in a distributed run; 0 alone
  int world_size = 1;
  /// The other processes of a distributed run (null or alone(): none). The loop agrees with them after every step on
  /// a stop (a signal in any process, a hook's request) and hands every process rank 0's BatchNorm statistics before
  /// each epoch's hooks (evaluation, checkpoints).
  std::shared_ptr<const distributed::Communicator> communicator;

  const data::Batch* batch = nullptr;  ///< the step's batch (before_step, after_step)
  StepLoss step;                       ///< the step's loss terms (after_step)
  bool epoch_finished = false;         ///< after_epoch: the pass ran to the epoch's end (not cut by a stop or max_iters)
  bool interrupted = false;            ///< SIGINT / SIGTERM: the loop stops after this step (its hooks write checkpoints only)
  bool stops_on_signal = true;         ///< false: a signal leaves this loop running (a range test's sweep: short, and
                                       ///< only whole is its result worth anything; the command stops after it)
  std::string stop_reason;             ///< set by request_stop(): the loop ends the epoch there and stops after its hooks

  /// The run has nothing left to train: stop_at or the last epoch reached.
  bool finished() const { return position.iteration >= plan.stop_at || position.epoch >= plan.epochs; }
  /// The loop will end after the current hooks: finished, interrupted or stopped by a hook.
  bool ending() const { return finished() || interrupted || !stop_reason.empty(); }
  /// Asks the loop to stop: after the current step (asked then), else after the current epoch's hooks (early stopping,
  /// the range test's end).
  void request_stop(const std::string& reason) {
    if (stop_reason.empty()) stop_reason = reason;
  }

  /// Writes model, optimizer, position and every hook's state to `path`, atomically (engine/checkpoint.h).
  std::function<void(const std::string& path)> save_checkpoint;
  /// Hands a validation to every hook's after_validation, in the hooks' order.
  std::function<void(const Validation&)> publish_validation;
};

}  // namespace ssd::engine
