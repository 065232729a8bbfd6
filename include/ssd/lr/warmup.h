#pragma once
// The warm-up around any schedule (schedule.warmup.*): factor linear f0 + (1 - f0) t / W, constant f0 or exponential
// f0^(1 - t / W) for t < W. Not prefix: lr = inner(t) * factor(t) (torchvision, detectron2). Prefix: inner(0) *
// factor(t), then inner(t - W) (timm).
#include "ssd/lr/schedule.h"

namespace ssd::lr {

class WarmupSchedule : public Schedule {
 public:
  WarmupSchedule(std::unique_ptr<Schedule> inner, std::string method, int64_t iters, double start_factor, bool prefix);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;
  int64_t end() const override;
  std::string on_validation(const std::map<std::string, double>& metrics, int64_t t) override;
  std::string state() const override { return inner_->state(); }
  void load_state(const std::string& state) override { inner_->load_state(state); }
  double factor_at(int64_t t) const;
  /// The schedule without warm-up at t (for the bias-LR warm-up, which heads for it).
  double main_at(int64_t t, double base) const;
  int64_t iters() const { return iters_; }

 private:
  std::unique_ptr<Schedule> inner_;
  std::string method_;
  int64_t iters_;
  double start_factor_;
  bool prefix_;
};

}  // namespace ssd::lr
