#pragma once
// epoch_N.pt every train.checkpoint_period epochs: the whole run as it stands once the epoch's evaluation is done (so
// it is run after EvaluationHook), the same as last.pt then, written atomically. A run that was killed before one was
// written (it is the last thing of its epoch) writes it when it resumes at that epoch's end, from the state it resumed
// (never from a file: a resume from best.pt, an older epoch or into a new run_dir gets that epoch's own weights).
#include "ssd/engine/hook.h"

namespace ssd::engine {

class PeriodicCheckpointHook : public Hook {
 public:
  PeriodicCheckpointHook(std::string run_dir, int64_t period);
  std::string name() const override { return "periodic_checkpoint"; }
  void before_train(TrainContext& context) override;
  void after_epoch(TrainContext& context) override;

 private:
  /// Saves the run as epoch_<position.epoch>.pt.
  void write(TrainContext& context) const;
  std::string run_dir_;
  int64_t period_;
};

}  // namespace ssd::engine
