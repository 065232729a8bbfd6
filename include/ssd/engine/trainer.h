#pragma once
// A training run: the builder layer makes its parts from the config (builder/), default_hooks() its hooks, and the
// loop (engine/loop.h) runs it; a resumed run first gets its position, weights, optimizer and every hook's state
// back from the checkpoint. In a distributed run (docs/distributed.md) every process runs one: each trains on its
// share of every batch (train.batch_size is the whole batch) and the step sums their gradients.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/distributed/communicator.h"
#include "ssd/engine/hook.h"

namespace ssd::engine {

class RunSummaryHook;

struct TrainResult {
  LoopPosition position;     ///< where the run ended
  double best_metric = -1;   ///< best validation mAP (VOC all-point); -1 = none
  bool interrupted = false;  ///< stopped by SIGINT / SIGTERM (last.pt written)
  std::string skipped_summary;
  std::map<std::string, double> last_validation;  ///< val/mAP, val/mAP07, val/loss of the last validation (empty: none)
};

class Trainer {
 public:
  /// resume_from: a checkpoint or run directory to continue exactly, or "" for a new run. `communicator`: the other
  /// processes of a distributed run (null: this one alone); every process runs a Trainer with the same config and the
  /// same resume_from (a file each of them can read), rank 0 alone writes the run directory.
  Trainer(config::Config config, c10::Device device, std::string resume_from = "",
          std::shared_ptr<const distributed::Communicator> communicator = nullptr);
  /// A hook of the caller's, run after the default ones (the tuner's), sharing their checkpoints.
  void add_hook(std::shared_ptr<Hook> hook);
  TrainResult run();

 private:
  /// The run after its directory is open; run() records in summary.json an error that ends it.
  TrainResult train(const std::string& checkpoint_path, const std::shared_ptr<RunSummaryHook>& summary);
  config::Config config_;
  c10::Device device_;
  std::string resume_from_;
  std::shared_ptr<const distributed::Communicator> communicator_;
  std::vector<std::shared_ptr<Hook>> extra_hooks_;
};

}  // namespace ssd::engine
