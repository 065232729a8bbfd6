#include "ssd/lr/schedule.h"

#include <cmath>
#include <sstream>

namespace ssd::lr {

MultiStepSchedule::MultiStepSchedule(std::vector<int64_t> milestones, double gamma)
    : milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
}

double MultiStepSchedule::lr_at(int64_t t, double base) const {
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), t) - milestones_.begin();
  return base * std::pow(gamma_, static_cast<double>(passed));
}

std::string MultiStepSchedule::describe() const {
  std::ostringstream os;
  os << "multistep x" << gamma_ << " at iterations [";
  for (size_t i = 0; i < milestones_.size(); ++i) os << (i ? ", " : "") << milestones_[i];
  os << "]";
  return os.str();
}

WarmupSchedule::WarmupSchedule(std::unique_ptr<Schedule> inner, std::string method, int64_t iters, double start_factor)
    : inner_(std::move(inner)), method_(std::move(method)), iters_(iters), start_factor_(start_factor) {}

double WarmupSchedule::factor_at(int64_t t) const {
  if (t >= iters_) return 1.0;
  if (method_ == "constant") return start_factor_;
  return start_factor_ + (1.0 - start_factor_) * static_cast<double>(t) / static_cast<double>(iters_);
}

double WarmupSchedule::lr_at(int64_t t, double base) const { return inner_->lr_at(t, base) * factor_at(t); }

std::string WarmupSchedule::describe() const {
  std::ostringstream os;
  os << method_ << " warm-up from x" << start_factor_ << " over " << iters_ << " iterations, then " << inner_->describe();
  return os.str();
}

std::vector<int64_t> WarmupSchedule::boundaries() const {
  auto b = inner_->boundaries();
  b.insert(b.begin(), iters_);
  return b;
}

const util::Registry<ScheduleFactory>& schedule_registry() {
  static const util::Registry<ScheduleFactory> registry(
      "schedule", "schedule.name",
      {
          {"constant", "lr = LR0 (after the warm-up)",
           [](const config::ScheduleConfig&, int64_t) -> std::unique_ptr<Schedule> { return std::make_unique<ConstantSchedule>(); }},
          {"multistep", "lr = LR0 x gamma^(milestones passed); milestones in iterations or fractions of the run",
           [](const config::ScheduleConfig& c, int64_t total) -> std::unique_ptr<Schedule> {
             std::vector<int64_t> m;
             if (!c.milestones.empty())
               for (double v : c.milestones) m.push_back(static_cast<int64_t>(std::llround(v)));
             else
               for (double f : c.milestone_fractions) m.push_back(static_cast<int64_t>(std::llround(f * static_cast<double>(total))));
             return std::make_unique<MultiStepSchedule>(m, c.gamma);
           }},
      });
  return registry;
}

std::unique_ptr<Schedule> make_schedule(const config::ScheduleConfig& c, int64_t total_iters) {
  auto schedule = schedule_registry().get(c.name).factory(c, total_iters);
  if (c.warmup_iters > 0)
    schedule = std::make_unique<WarmupSchedule>(std::move(schedule), c.warmup_method, c.warmup_iters, c.warmup_start_factor);
  return schedule;
}

}  // namespace ssd::lr
