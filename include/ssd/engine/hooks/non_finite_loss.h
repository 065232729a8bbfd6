#pragma once
// The non-finite-loss guard: a step whose loss is NaN or infinite (the step itself then changed nothing) ends the run
// with the iteration and the loss terms, before any hook records them, so no checkpoint ever holds a diverged model:
// last.pt stays the last good one. Every rank.
#include "ssd/engine/hook.h"

namespace ssd::engine {

class NonFiniteLossHook : public Hook {
 public:
  std::string name() const override { return "non_finite_loss"; }
  bool every_rank() const override { return true; }
  /// Throws std::runtime_error naming the iteration, the loss terms, the LR and last.pt.
  void after_step(TrainContext& context) override;
};

}  // namespace ssd::engine
