#include "ssd/engine/hooks/metrics_log.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ssd/optim/optimizer.h"
#include "ssd/util/error.h"

namespace ssd::engine {

MetricsLogHook::MetricsLogHook(std::string path, int64_t log_period) : path_(std::move(path)), log_period_(log_period) {}

void MetricsLogHook::before_train(TrainContext& c) {
  // A resumed run keeps the rows up to its checkpoint; those a killed run wrote after it are written again.
  log_ = std::make_unique<MetricsLog>(path_, /*append=*/c.position.iteration > 0, c.position.iteration);
  window_.restart(c.loader->wait_seconds());
  // time_s goes on from the checkpoint's clock; a checkpoint of an earlier version has none: from the last row kept.
  if (!time_restored_)
    for (const auto& row : log_->rows())
      if (std::isfinite(row.time_s)) time_before_ = row.time_s;
  session_start_ = std::chrono::steady_clock::now();
}

void MetricsLogHook::after_step(TrainContext& c) {
  window_.add(c.step, c.batch->size() * static_cast<size_t>(c.world_size));  // every process holds its share of the batch
  if (!ends_log_window(c, log_period_)) return;
  const double wait = c.loader->wait_seconds();
  const auto w = window_.summary(wait);
  log_->add_train_row(c.position.iteration + 1, c.position.epoch + 1, optim::get_lr(*c.optimizer), w.loss_loc, w.loss_conf,
                      w.images_per_second, w.data_wait_share, seconds());
  window_.restart(wait);
}

void MetricsLogHook::after_validation(TrainContext& c, const Validation& v) {
  log_->add_val_row(c.position.iteration, c.position.epoch, v.metrics.at("val/mAP"), v.metrics.at("val/mAP07"), v.metrics.at("val/loss"), seconds());
}

std::string MetricsLogHook::state() const {
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", seconds());
  return text;
}

void MetricsLogHook::load_state(const std::string& state) {
  char* end = nullptr;
  const double seconds = std::strtod(state.c_str(), &end);
  if (end == state.c_str() || !std::isfinite(seconds) || seconds < 0)
    throw CheckpointError("metrics-log state '" + state + "' is not a number of seconds");
  time_before_ = seconds;
  time_restored_ = true;
}

double MetricsLogHook::seconds() const {
  return time_before_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start_).count();
}

}  // namespace ssd::engine
