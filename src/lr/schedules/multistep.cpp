#include "ssd/lr/schedules/multistep.h"

#include <algorithm>
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
  os << "multistep x" << gamma_ << " at [";
  for (size_t i = 0; i < milestones_.size(); ++i) os << (i ? ", " : "") << milestones_[i];
  os << "]";
  return os.str();
}

std::vector<Phase> MultiStepSchedule::phases() const {
  std::vector<Phase> out;
  for (size_t i = 0; i < milestones_.size(); ++i)
    out.push_back({milestones_[i], "milestone: LR x" + describe_number(std::pow(gamma_, static_cast<double>(i + 1))) + " of base"});
  return out;
}

ScheduleEntry multistep_schedule() {
  using config::plugin_key;
  const char* name = "multistep";
  return {name, "lr = base x gamma^(milestones passed); milestones absolute or fractions of the run (default)",
          [name](const config::ScheduleConfig& c, const BuildContext& b) -> std::unique_ptr<Schedule> {
            const auto& p = c.params.get<MultiStepParams>(name);
            std::vector<int64_t> m;
            if (!p.milestones.empty())
              for (double v : p.milestones) m.push_back(b.steps(v));
            else
              for (double f : p.fractions) m.push_back(static_cast<int64_t>(std::llround(f * static_cast<double>(b.total))));
            return std::make_unique<MultiStepSchedule>(m, p.gamma);
          },
          {plugin_key(name, "schedule.multistep.milestones", &MultiStepParams::milestones, config::all_positive(), "lr::MultiStepSchedule",
                      "multistep: milestones (schedule.unit); empty = fractions of the run."),
           plugin_key(name, "schedule.multistep.fractions", &MultiStepParams::fractions, config::unit_interval_list(), "lr::MultiStepSchedule",
                      "multistep: milestones as fractions of the run (2/3 and 5/6: the paper's 80k and 100k of 120k)."),
           plugin_key(name, "schedule.multistep.gamma", &MultiStepParams::gamma, config::positive(), "lr::MultiStepSchedule",
                      "multistep: factor at each milestone.")}};
}

}  // namespace ssd::lr
