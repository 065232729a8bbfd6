#pragma once
// A training run: the builder layer makes its parts from the config (builder/), default_hooks() its hooks, and the
// loop (engine/loop.h) runs it; a resumed run first gets its position, weights, optimizer and every hook's state
// back from the checkpoint.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/engine/hook.h"

namespace ssd::engine {

struct TrainResult {
  LoopPosition position;     ///< where the run ended
  double best_metric = -1;   ///< best validation mAP (VOC all-point); -1 = none
  bool interrupted = false;  ///< stopped by SIGINT / SIGTERM (last.pt written)
  std::string skipped_summary;
  std::map<std::string, double> last_validation;  ///< val/mAP, val/mAP07, val/loss of the last validation (empty: none)
};

class Trainer {
 public:
  /// resume_from: a checkpoint or run directory to continue exactly, or "" for a new run.
  Trainer(config::Config config, c10::Device device, std::string resume_from = "");
  /// A hook of the caller's, run after the default ones (the tuner's), sharing their checkpoints.
  void add_hook(std::shared_ptr<Hook> hook);
  TrainResult run();

 private:
  config::Config config_;
  c10::Device device_;
  std::string resume_from_;
  std::vector<std::shared_ptr<Hook>> extra_hooks_;
};

}  // namespace ssd::engine
