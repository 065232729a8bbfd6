#include "ssd/lr/schedules/linear.h"

#include <algorithm>

namespace ssd::lr {

LinearSchedule::LinearSchedule(double start_factor, double end_factor, int64_t total)
    : start_(start_factor), end_(end_factor), total_(std::max<int64_t>(total, 1)) {}

double LinearSchedule::lr_at(int64_t t, double base) const {
  const double tc = static_cast<double>(std::min(t, total_));
  return base * (start_ + (end_ - start_) * tc / static_cast<double>(total_));
}

std::string LinearSchedule::describe() const {
  return "linear x" + describe_number(start_) + " -> x" + describe_number(end_) + " over " + std::to_string(total_);
}

ScheduleEntry linear_schedule() {
  using config::plugin_key;
  const char* name = "linear";
  return {name, "lr = base x (start_factor + (end_factor - start_factor) min(t, T) / T)",
          [name](const config::ScheduleConfig& c, const BuildContext& b) -> std::unique_ptr<Schedule> {
            const auto& p = c.params.get<LinearParams>(name);
            return std::make_unique<LinearSchedule>(p.start_factor, p.end_factor, b.total);
          },
          {plugin_key(name, "schedule.linear.start_factor", &LinearParams::start_factor, config::at_least(0.0), "lr::LinearSchedule",
                      "linear: factor at t = 0."),
           plugin_key(name, "schedule.linear.end_factor", &LinearParams::end_factor, config::at_least(0.0), "lr::LinearSchedule",
                      "linear: factor from t = T on.")}};
}

}  // namespace ssd::lr
