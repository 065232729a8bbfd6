#pragma once
// The steps since the last log line: the mean loss terms, images per second and the share of the time the loop
// waited for data. The progress line and metrics.csv each keep one over the same iterations (train.log_period).
#include <chrono>
#include <cstdint>

#include "ssd/engine/train_context.h"

namespace ssd::engine {

/// Whether step `iteration` (0-based) ends a log window: every log_period steps, and the run's last step.
bool ends_log_window(const TrainContext& context, int64_t log_period);

class StepWindow {
 public:
  struct Summary {
    double loss = 0, loss_loc = 0, loss_conf = 0;  ///< means over the window's finite steps (NaN when it had none)
    double images_per_second = 0;
    double data_wait_share = 0;          ///< of the window's time
  };
  /// Starts a window now; loader_wait_seconds: the loader's running total (data::DataLoader::wait_seconds).
  void restart(double loader_wait_seconds);
  /// A step with a non-finite loss (non_finite.action skip) adds its images but not its loss.
  void add(const StepLoss& step, size_t images);
  /// The window so far; with `loader_wait_seconds`, also its data-wait share.
  Summary summary(double loader_wait_seconds) const;

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  double wait_at_start_ = 0;
  double sum_loc_ = 0, sum_conf_ = 0;
  int64_t finite_steps_ = 0, images_ = 0;
};

}  // namespace ssd::engine
