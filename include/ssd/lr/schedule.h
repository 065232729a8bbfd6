#pragma once
// Learning-rate schedules as pure functions of the global iteration t (optimizer steps already taken):
// lr_at(t, base) is the LR of a parameter group whose base LR is `base`. Pure functions make preview,
// resume and closed-form tests exact; LibTorch's own schedulers keep no state we could checkpoint.
// Warm-up is a wrapper around any schedule (schedule.warmup_*).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ssd/config/config.h"
#include "ssd/util/registry.h"

namespace ssd::lr {

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double lr_at(int64_t t, double base) const = 0;
  /// One line for the start-up summary, with the phase boundaries in iterations.
  virtual std::string describe() const = 0;
  /// Iterations at which the value changes phase (milestones, end of warm-up), for logs and plots.
  virtual std::vector<int64_t> boundaries() const { return {}; }
};

/// constant: lr = base.
class ConstantSchedule : public Schedule {
 public:
  double lr_at(int64_t, double base) const override { return base; }
  std::string describe() const override { return "constant"; }
};

/// multistep: lr = base * gamma ^ (number of milestones <= t); the decay applies at t = milestone.
class MultiStepSchedule : public Schedule {
 public:
  MultiStepSchedule(std::vector<int64_t> milestones, double gamma);
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;
  std::vector<int64_t> boundaries() const override { return milestones_; }

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

/// Warm-up wrapper (torchvision / detectron2 semantics, the main clock starts with the warm-up):
/// lr = inner(t) * factor(t), factor = f0 + (1 - f0) * t / W (linear) or f0 (constant) for t < W, else 1.
class WarmupSchedule : public Schedule {
 public:
  WarmupSchedule(std::unique_ptr<Schedule> inner, std::string method, int64_t iters, double start_factor);
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;
  std::vector<int64_t> boundaries() const override;
  double factor_at(int64_t t) const;

 private:
  std::unique_ptr<Schedule> inner_;
  std::string method_;
  int64_t iters_;
  double start_factor_;
};

using ScheduleFactory = std::function<std::unique_ptr<Schedule>(const config::ScheduleConfig&, int64_t total_iters)>;
const util::Registry<ScheduleFactory>& schedule_registry();

/// The schedule of the config for a run of total_iters iterations, wrapped in its warm-up when warmup_iters > 0.
std::unique_ptr<Schedule> make_schedule(const config::ScheduleConfig& config, int64_t total_iters);

}  // namespace ssd::lr
