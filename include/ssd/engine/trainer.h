#pragma once
// The training run. The loop itself is data -> targets -> forward -> loss -> backward -> step; around each
// step, in this order: the LR is set from the schedule (before the step it applies to), then progress and
// metrics are written; at the end of an epoch the checkpoint is written *before* evaluation, so that a
// failing evaluation still leaves a checkpoint, then validation mAP, then best.pt, then the plot.
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/engine/checkpoint.h"

namespace ssd::engine {

struct TrainResult {
  TrainState state;
  bool interrupted = false;  ///< stopped by SIGINT / SIGTERM (last.pt written)
  std::string skipped_summary;
  std::map<std::string, double> last_validation;  ///< val/mAP, val/mAP07, val/loss of the last validation (empty: none)
};

class Trainer {
 public:
  /// resume_from: a checkpoint or run directory to continue exactly, or "" for a new run.
  Trainer(config::Config config, c10::Device device, std::string resume_from = "");
  TrainResult run();

  /// Set from a signal handler: the loop stops after the current step and writes last.pt.
  static std::atomic<bool>& stop_requested();

 private:
  config::Config config_;
  c10::Device device_;
  std::string resume_from_;
};

/// Installs SIGINT / SIGTERM handlers that set Trainer::stop_requested().
void install_stop_signal_handlers();

}  // namespace ssd::engine
