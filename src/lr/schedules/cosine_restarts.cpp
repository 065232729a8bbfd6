#include "ssd/lr/schedules/cosine_restarts.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ssd/lr/schedules/cosine.h"

namespace ssd::lr {

CosineRestartsSchedule::CosineRestartsSchedule(int64_t t0, int64_t t_mult, double eta_min, double decay, int64_t run_total)
    : t0_(std::max<int64_t>(t0, 1)), t_mult_(std::max<int64_t>(t_mult, 1)), eta_min_(eta_min), decay_(decay), run_total_(run_total) {}

void CosineRestartsSchedule::locate(int64_t t, int64_t* cycle, int64_t* position, int64_t* length) const {
  // Walking the cycles in integers gives the closed form's cycle and position without its floating-point log.
  if (t_mult_ == 1) {
    *cycle = t / t0_, *position = t % t0_, *length = t0_;
    return;
  }
  int64_t start = 0, len = t0_, i = 0;
  while (t >= start + len) start += len, len *= t_mult_, ++i;
  *cycle = i, *position = t - start, *length = len;
}

double CosineRestartsSchedule::lr_at(int64_t t, double base) const {
  int64_t cycle = 0, position = 0, length = 1;
  locate(t, &cycle, &position, &length);
  const double peak = base * std::pow(decay_, static_cast<double>(cycle));
  return half_cosine(eta_min_, peak, static_cast<double>(position), static_cast<double>(length));
}

std::string CosineRestartsSchedule::describe() const {
  std::ostringstream os;
  os << "cosine with restarts, T_0 " << t0_ << ", T_mult " << t_mult_ << ", eta_min " << eta_min_ << ", peak decay " << decay_;
  return os.str();
}

std::vector<Phase> CosineRestartsSchedule::phases() const {
  std::vector<Phase> out;
  int64_t start = t0_, len = t0_ * t_mult_;
  for (int i = 1; start < run_total_ && out.size() < 1000; ++i, start += len, len *= t_mult_)
    out.push_back({start, "restart " + std::to_string(i)});
  return out;
}

ScheduleEntry cosine_restarts_schedule() {
  using config::plugin_key;
  using P = CosineRestartsParams;
  const char* name = "cosine_restarts";
  const char* consumer = "lr::CosineRestartsSchedule";
  return {name, "SGDR: cosine cycles T_0, T_0 T_mult, ...; peak x decay per cycle",
          [name](const config::ScheduleConfig& c, const BuildContext& b) -> std::unique_ptr<Schedule> {
            const auto& p = c.params.get<P>(name);
            return std::make_unique<CosineRestartsSchedule>(b.steps(p.T_0), p.T_mult, p.eta_min, p.decay, b.total);
          },
          {plugin_key(name, "schedule.cosine_restarts.T_0", &P::T_0, config::positive(), consumer,
                      "cosine_restarts: first cycle length (schedule.unit)."),
           plugin_key(name, "schedule.cosine_restarts.T_mult", &P::T_mult, config::at_least<int64_t>(1), consumer,
                      "cosine_restarts: each cycle T_mult times the one before."),
           plugin_key(name, "schedule.cosine_restarts.eta_min", &P::eta_min, config::at_least(0.0), consumer,
                      "cosine_restarts: LR at the end of each cycle."),
           plugin_key(name, "schedule.cosine_restarts.decay", &P::decay, config::positive(), consumer,
                      "cosine_restarts: the peak of cycle i is base x decay ** i (1 = PyTorch).")}};
}

}  // namespace ssd::lr
