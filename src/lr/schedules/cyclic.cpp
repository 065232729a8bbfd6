#include "ssd/lr/schedules/cyclic.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ssd/util/error.h"

namespace ssd::lr {

CyclicSchedule::CyclicSchedule(const CyclicParams& params, int64_t up, int64_t down, double reference_lr, int64_t run_total)
    : c_(params), up_(std::max<int64_t>(up, 1)), down_(std::max<int64_t>(down, 1)), reference_lr_(reference_lr), run_total_(run_total) {}

void CyclicSchedule::shape(int64_t t, double* s, double* g) const {
  const double length = static_cast<double>(up_ + down_);
  const double cycle = std::floor(1.0 + static_cast<double>(t) / length);
  const double x = 1.0 + static_cast<double>(t) / length - cycle;
  const double ratio = static_cast<double>(up_) / length;
  *s = x <= ratio ? x / ratio : (x - 1.0) / (ratio - 1.0);
  if (c_.mode == "triangular2") *g = 1.0 / std::pow(2.0, cycle - 1.0);
  else if (c_.mode == "exp_range") *g = std::pow(c_.gamma, static_cast<double>(t));
  else *g = 1.0;
}

double CyclicSchedule::lr_at(int64_t t, double base) const {
  double s = 0, g = 1;
  shape(t, &s, &g);
  const double lr = c_.base_lr + (c_.max_lr - c_.base_lr) * s * g;
  return lr * base / reference_lr_;
}

std::optional<double> CyclicSchedule::momentum_at(int64_t t) const {
  if (!c_.cycle_momentum) return std::nullopt;
  double s = 0, g = 1;
  shape(t, &s, &g);
  return c_.max_momentum - (c_.max_momentum - c_.base_momentum) * s * g;
}

std::string CyclicSchedule::describe() const {
  std::ostringstream os;
  os << "cyclic " << c_.mode << " " << c_.base_lr << " <-> " << c_.max_lr << " (up " << up_ << ", down " << down_
     << "; solver.lr is not used)";
  if (c_.cycle_momentum) os << ", momentum " << c_.max_momentum << " <-> " << c_.base_momentum;
  return os.str();
}

std::vector<Phase> CyclicSchedule::phases() const {
  std::vector<Phase> out;
  for (int64_t start = up_ + down_, k = 2; start < run_total_ && out.size() < 1000; start += up_ + down_, ++k)
    out.push_back({start, "cycle " + std::to_string(k)});
  return out;
}

ScheduleEntry cyclic_schedule() {
  using config::plugin_key;
  using P = CyclicParams;
  const char* name = "cyclic";
  const char* consumer = "lr::CyclicSchedule";
  return {name, "Smith's cyclical LR between base_lr and max_lr (triangular, triangular2, exp_range)",
          [name](const config::ScheduleConfig& c, const BuildContext& b) -> std::unique_ptr<Schedule> {
            const auto& y = c.params.get<P>(name);
            if (y.max_lr < y.base_lr)
              throw ConfigError("schedule.cyclic.max_lr: " + std::to_string(y.max_lr) + " is below base_lr " + std::to_string(y.base_lr));
            const int64_t up = b.steps(y.step_size_up), down = y.step_size_down > 0 ? b.steps(y.step_size_down) : up;
            return std::make_unique<CyclicSchedule>(y, up, down, b.reference_lr, b.total);
          },
          {plugin_key(name, "schedule.cyclic.base_lr", &P::base_lr, config::positive(), consumer,
                      "cyclic: lower LR (replaces LR0; the log says so)."),
           plugin_key(name, "schedule.cyclic.max_lr", &P::max_lr, config::positive(), consumer, "cyclic: upper LR."),
           plugin_key(name, "schedule.cyclic.step_size_up", &P::step_size_up, config::positive(), consumer,
                      "cyclic: rising half-cycle (schedule.unit)."),
           plugin_key(name, "schedule.cyclic.step_size_down", &P::step_size_down, config::at_least(0.0), consumer,
                      "cyclic: falling half-cycle; 0 = step_size_up."),
           plugin_key(name, "schedule.cyclic.mode", &P::mode, config::one_of({"triangular", "triangular2", "exp_range"}), consumer,
                      "cyclic: amplitude constant, halved per cycle, or x gamma ** t."),
           plugin_key(name, "schedule.cyclic.gamma", &P::gamma, config::positive(), consumer,
                      "cyclic exp_range: amplitude decay per iteration."),
           plugin_key(name, "schedule.cyclic.cycle_momentum", &P::cycle_momentum, config::any<bool>(), consumer,
                      "cyclic: cycle momentum / beta1 inversely between max_momentum and base_momentum."),
           plugin_key(name, "schedule.cyclic.base_momentum", &P::base_momentum, config::in_range(0.0, 1.0), consumer,
                      "cyclic: momentum at the LR peak."),
           plugin_key(name, "schedule.cyclic.max_momentum", &P::max_momentum, config::in_range(0.0, 1.0), consumer,
                      "cyclic: momentum at the LR trough.")}};
}

}  // namespace ssd::lr
