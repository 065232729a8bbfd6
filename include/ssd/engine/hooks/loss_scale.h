#pragma once
// Mixed precision's loss scale (train.amp with float16): keeps the scaler's state in checkpoints, and at each log line
// says how many steps of the window were skipped on overflowing gradients. Every rank (its state is each rank's).
#include "ssd/engine/hook.h"
#include "ssd/runtime/mixed_precision.h"

namespace ssd::engine {

class LossScaleHook : public Hook {
 public:
  LossScaleHook(runtime::GradientScaler& scaler, int64_t log_period);
  std::string name() const override { return "loss_scale"; }
  bool every_rank() const override { return true; }
  void after_step(TrainContext& context) override;
  std::string state() const override { return scaler_.enabled() ? scaler_.state() : ""; }
  void load_state(const std::string& state) override { scaler_.load_state(state); }

 private:
  runtime::GradientScaler& scaler_;
  int64_t log_period_;
  int64_t steps_ = 0, skipped_ = 0;
};

}  // namespace ssd::engine
