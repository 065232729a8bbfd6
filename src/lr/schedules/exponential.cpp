#include "ssd/lr/schedules/exponential.h"

#include <cmath>

namespace ssd::lr {

double ExponentialSchedule::lr_at(int64_t t, double base) const { return base * std::pow(gamma_, static_cast<double>(t)); }

std::string ExponentialSchedule::describe() const { return "exponential x" + describe_number(gamma_) + " per step"; }

ScheduleEntry exponential_schedule() {
  const char* name = "exponential";
  return {name, "lr = base x gamma^t",
          [name](const config::ScheduleConfig& c, const BuildContext&) -> std::unique_ptr<Schedule> {
            return std::make_unique<ExponentialSchedule>(c.params.get<ExponentialParams>(name).gamma);
          },
          {config::plugin_key(name, "schedule.exponential.gamma", &ExponentialParams::gamma, config::positive(), "lr::ExponentialSchedule",
                              "exponential: lr = base x gamma ** t.")}};
}

}  // namespace ssd::lr
