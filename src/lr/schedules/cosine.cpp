#include "ssd/lr/schedules/cosine.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ssd::lr {

double half_cosine(double lo, double hi, double position, double length) {
  return lo + (hi - lo) * (1.0 + std::cos(M_PI * position / length)) / 2.0;
}

CosineSchedule::CosineSchedule(int64_t total, double eta_min, bool periodic)
    : total_(std::max<int64_t>(total, 1)), eta_min_(eta_min), periodic_(periodic) {}

double CosineSchedule::lr_at(int64_t t, double base) const {
  const int64_t at = periodic_ ? t : std::min(t, total_);
  return half_cosine(eta_min_, base, static_cast<double>(at), static_cast<double>(total_));
}

std::string CosineSchedule::describe() const {
  std::ostringstream os;
  os << "cosine to " << eta_min_ << " over " << total_ << (periodic_ ? " (periodic)" : ", then held");
  return os.str();
}

ScheduleEntry cosine_schedule() {
  using config::plugin_key;
  const char* name = "cosine";
  return {name, "lr = eta_min + (base - eta_min)(1 + cos(pi min(t, T) / T)) / 2",
          [name](const config::ScheduleConfig& c, const BuildContext& b) -> std::unique_ptr<Schedule> {
            const auto& p = c.params.get<CosineParams>(name);
            return std::make_unique<CosineSchedule>(b.total, p.eta_min, p.periodic);
          },
          {plugin_key(name, "schedule.cosine.eta_min", &CosineParams::eta_min, config::at_least(0.0), "lr::CosineSchedule",
                      "cosine: LR reached at T."),
           plugin_key(name, "schedule.cosine.periodic", &CosineParams::periodic, config::any<bool>(), "lr::CosineSchedule",
                      "cosine: true = PyTorch past T (the LR climbs back); false = held at eta_min.")}};
}

}  // namespace ssd::lr
