#pragma once
// last.pt: written at the end of every epoch (and of a pass cut short), before the epoch's evaluation, so that a
// failing evaluation still leaves it; written again after each validation, as the hooks' states changed. At the start
// of a run, temporary files that a killed write left behind are removed. An interrupted run (SIGINT, SIGTERM) ends
// here, with the command that continues it.
#include "ssd/engine/hook.h"

namespace ssd::engine {

class CheckpointHook : public Hook {
 public:
  explicit CheckpointHook(std::string run_dir);
  std::string name() const override { return "checkpoint"; }
  void before_train(TrainContext& context) override;
  void after_epoch(TrainContext& context) override;
  void after_validation(TrainContext& context, const Validation& validation) override;
  const std::string& last_path() const { return last_path_; }

 private:
  std::string run_dir_, last_path_;
};

/// Removes the ".<name>.tmp" files that killed writes left in `run_dir` and its report folder; returns their names.
std::vector<std::string> remove_stale_temporaries(const std::string& run_dir);

}  // namespace ssd::engine
