#include "ssd/lr/epoch_interval.h"

#include <algorithm>

namespace ssd::lr {

EpochIntervalSchedule::EpochIntervalSchedule(std::unique_ptr<Schedule> inner, int64_t iters_per_epoch)
    : inner_(std::move(inner)), per_epoch_(std::max<int64_t>(iters_per_epoch, 1)) {}

double EpochIntervalSchedule::lr_at(int64_t t, double base) const { return inner_->lr_at(t / per_epoch_, base); }

std::optional<double> EpochIntervalSchedule::momentum_at(int64_t t) const { return inner_->momentum_at(t / per_epoch_); }

std::string EpochIntervalSchedule::describe() const {
  return inner_->describe() + " (durations in epochs, evaluated once per epoch of " + std::to_string(per_epoch_) + " iterations)";
}

std::vector<Phase> EpochIntervalSchedule::phases() const {
  auto out = inner_->phases();
  for (auto& p : out) p.start *= per_epoch_;
  return out;
}

int64_t EpochIntervalSchedule::end() const {
  const int64_t e = inner_->end();
  return e < 0 ? -1 : e * per_epoch_;
}

std::string EpochIntervalSchedule::on_validation(const std::map<std::string, double>& metrics, int64_t t) {
  return inner_->on_validation(metrics, t / per_epoch_);
}

}  // namespace ssd::lr
