#include "ssd/lr/schedules/polynomial.h"

#include <algorithm>
#include <cmath>

namespace ssd::lr {

PolynomialSchedule::PolynomialSchedule(int64_t total, double power, double end_lr)
    : total_(std::max<int64_t>(total, 1)), power_(power), end_lr_(end_lr) {}

double PolynomialSchedule::lr_at(int64_t t, double base) const {
  const double tc = static_cast<double>(std::min(t, total_));
  return (base - end_lr_) * std::pow(1.0 - tc / static_cast<double>(total_), power_) + end_lr_;
}

std::string PolynomialSchedule::describe() const {
  return "polynomial power " + describe_number(power_) + " to " + describe_number(end_lr_) + " over " + std::to_string(total_);
}

ScheduleEntry polynomial_schedule() {
  using config::plugin_key;
  const char* name = "polynomial";
  return {name, "lr = (base - end_lr)(1 - min(t, T) / T)^power + end_lr",
          [name](const config::ScheduleConfig& c, const BuildContext& b) -> std::unique_ptr<Schedule> {
            const auto& p = c.params.get<PolynomialParams>(name);
            return std::make_unique<PolynomialSchedule>(b.total, p.power, p.end_lr);
          },
          {plugin_key(name, "schedule.polynomial.power", &PolynomialParams::power, config::positive(), "lr::PolynomialSchedule",
                      "polynomial: exponent of (1 - t / T)."),
           plugin_key(name, "schedule.polynomial.end_lr", &PolynomialParams::end_lr, config::at_least(0.0), "lr::PolynomialSchedule",
                      "polynomial: LR reached at T.")}};
}

}  // namespace ssd::lr
