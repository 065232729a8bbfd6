#pragma once
// The progress line: epoch, iteration, smoothed loss terms, LR, images per second and the ETA, every train.log_period
// steps (with the share of time spent waiting for data), and on a terminal rewritten in place after every step.
#include <chrono>
#include <cstdint>

#include "ssd/engine/hook.h"
#include "ssd/engine/hooks/step_window.h"

namespace ssd::engine {

class ProgressHook : public Hook {
 public:
  /// tty: the output is a terminal (then a line is also rewritten after every step).
  ProgressHook(int64_t log_period, bool tty);
  std::string name() const override { return "progress"; }
  void before_train(TrainContext& context) override;
  void after_step(TrainContext& context) override;

 private:
  int64_t log_period_;
  bool tty_;
  std::chrono::steady_clock::time_point run_start_;
  int64_t start_iteration_ = 0;
  StepWindow window_;
};

/// "1m05s" or "2h03m", as the ETA prints durations.
std::string format_duration(double seconds);

}  // namespace ssd::engine
