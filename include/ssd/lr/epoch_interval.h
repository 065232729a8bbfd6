#pragma once
// schedule.interval: epoch: the inner schedule (durations in epochs) runs at floor(t / iterations per epoch), as
// PyTorch users step their schedulers once per epoch.
#include "ssd/lr/schedule.h"

namespace ssd::lr {

class EpochIntervalSchedule : public Schedule {
 public:
  EpochIntervalSchedule(std::unique_ptr<Schedule> inner, int64_t iters_per_epoch);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;
  int64_t end() const override;
  std::string on_validation(const std::map<std::string, double>& metrics, int64_t t) override;
  std::string state() const override { return inner_->state(); }
  void load_state(const std::string& state) override { inner_->load_state(state); }

 private:
  std::unique_ptr<Schedule> inner_;
  int64_t per_epoch_;
};

}  // namespace ssd::lr
