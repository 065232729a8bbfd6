#include "ssd/engine/hooks/loss_scale.h"

#include <spdlog/spdlog.h>

#include "ssd/engine/hooks/step_window.h"

namespace ssd::engine {

LossScaleHook::LossScaleHook(runtime::GradientScaler& scaler, int64_t log_period) : scaler_(scaler), log_period_(log_period) {}

void LossScaleHook::after_step(TrainContext& c) {
  ++steps_;
  skipped_ += c.step.skipped;
  if (!ends_log_window(c, log_period_)) return;
  if (skipped_ > 0 && c.rank == 0)
    spdlog::info("mixed precision: {} of the last {} steps skipped on overflowing float16 gradients; loss scale now {}", skipped_, steps_,
                 scaler_.scale());
  steps_ = skipped_ = 0;
}

}  // namespace ssd::engine
