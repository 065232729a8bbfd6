#include "ssd/engine/hooks/step_window.h"

#include <algorithm>
#include <limits>

namespace ssd::engine {

bool ends_log_window(const TrainContext& c, int64_t log_period) {
  const int64_t done = c.position.iteration + 1;
  return done % log_period == 0 || done == c.plan.stop_at;
}

void StepWindow::restart(double loader_wait_seconds) {
  start_ = std::chrono::steady_clock::now();
  wait_at_start_ = loader_wait_seconds;
  sum_loc_ = sum_conf_ = 0;
  finite_steps_ = images_ = 0;
}

void StepWindow::add(const StepLoss& step, size_t images) {
  if (step.finite()) sum_loc_ += step.loc, sum_conf_ += step.conf, ++finite_steps_;
  images_ += static_cast<int64_t>(images);
}

StepWindow::Summary StepWindow::summary(double loader_wait_seconds) const {
  const double seconds = std::max(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(), 1e-9);
  const double steps = finite_steps_ > 0 ? static_cast<double>(finite_steps_) : std::numeric_limits<double>::quiet_NaN();
  return {(sum_loc_ + sum_conf_) / steps, sum_loc_ / steps, sum_conf_ / steps, static_cast<double>(images_) / seconds,
          (loader_wait_seconds - wait_at_start_) / seconds};
}

}  // namespace ssd::engine
