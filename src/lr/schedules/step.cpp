#include "ssd/lr/schedules/step.h"

#include <cmath>

namespace ssd::lr {

StepSchedule::StepSchedule(int64_t step_size, double gamma, int64_t total)
    : step_size_(std::max<int64_t>(step_size, 1)), total_(total), gamma_(gamma) {}

double StepSchedule::lr_at(int64_t t, double base) const {
  return base * std::pow(gamma_, static_cast<double>(t / step_size_));
}

std::string StepSchedule::describe() const { return "step x" + describe_number(gamma_) + " every " + std::to_string(step_size_); }

std::vector<Phase> StepSchedule::phases() const {
  std::vector<Phase> out;
  for (int64_t m = step_size_, k = 1; m < total_ && out.size() < 1000; m += step_size_, ++k)
    out.push_back({m, "step: LR x" + describe_number(std::pow(gamma_, static_cast<double>(k))) + " of base"});
  return out;
}

ScheduleEntry step_schedule() {
  using config::plugin_key;
  const char* name = "step";
  return {name, "lr = base x gamma^floor(t / step_size)",
          [name](const config::ScheduleConfig& c, const BuildContext& b) -> std::unique_ptr<Schedule> {
            const auto& p = c.params.get<StepParams>(name);
            return std::make_unique<StepSchedule>(b.steps(p.step_size), p.gamma, b.total);
          },
          {plugin_key(name, "schedule.step.step_size", &StepParams::step_size, config::positive(), "lr::StepSchedule",
                      "step: decay every step_size (schedule.unit)."),
           plugin_key(name, "schedule.step.gamma", &StepParams::gamma, config::positive(), "lr::StepSchedule", "step: factor per step.")}};
}

}  // namespace ssd::lr
