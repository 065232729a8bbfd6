#pragma once
// epoch_N.pt every train.checkpoint_period epochs: a copy of last.pt as it stands once the epoch's evaluation is done
// (so it is run after EvaluationHook), written atomically. A run that was killed before one was written (the copy is
// the last thing of its epoch) writes it when it resumes at that epoch's end.
#include "ssd/engine/hook.h"

namespace ssd::engine {

class PeriodicCheckpointHook : public Hook {
 public:
  PeriodicCheckpointHook(std::string run_dir, int64_t period);
  std::string name() const override { return "periodic_checkpoint"; }
  void before_train(TrainContext& context) override;
  void after_epoch(TrainContext& context) override;

 private:
  /// Copies last.pt to epoch_<epoch>.pt unless it exists.
  void write(int64_t epoch) const;
  std::string run_dir_;
  int64_t period_;
};

}  // namespace ssd::engine
