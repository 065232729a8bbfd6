#include "ssd/lr/schedules/one_cycle.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ssd::lr {

OneCycleSchedule::OneCycleSchedule(const OneCycleParams& params, int64_t total, double reference_lr)
    : c_(params), total_(std::max<int64_t>(total, 2)), max_lr_(params.max_lr > 0 ? params.max_lr : reference_lr),
      reference_lr_(reference_lr) {
  // Values as fractions of max_lr, phase ends as (fractional) steps, exactly as torch.optim.lr_scheduler.OneCycleLR.
  const double initial = 1.0 / c_.div_factor, minimum = initial / c_.final_div_factor;
  const double T = static_cast<double>(total_), rise_end = c_.pct_start * T - 1.0;
  const double lo = c_.base_momentum, hi = c_.max_momentum;
  if (c_.three_phase)
    phases_ = {{rise_end, initial, 1.0, hi, lo}, {2.0 * c_.pct_start * T - 2.0, 1.0, initial, lo, hi}, {T - 1.0, initial, minimum, hi, hi}};
  else
    phases_ = {{rise_end, initial, 1.0, hi, lo}, {T - 1.0, 1.0, minimum, lo, hi}};
}

double OneCycleSchedule::anneal(double from, double to, double p) const {
  if (c_.anneal == "linear") return from + p * (to - from);
  return to + (from - to) * (1.0 + std::cos(M_PI * p)) / 2.0;
}

size_t OneCycleSchedule::locate(int64_t t, double* p) const {
  // Past the end the final value holds (PyTorch raises, which would break resume-and-extend).
  const double step = static_cast<double>(std::min<int64_t>(t, total_ - 1));
  double start = 0;
  for (size_t i = 0; i < phases_.size(); ++i) {
    if (step <= phases_[i].end_step || i + 1 == phases_.size()) {
      const double span = phases_[i].end_step - start;
      *p = span > 0 ? (step - start) / span : 1.0;
      return i;
    }
    start = phases_[i].end_step;
  }
  *p = 1.0;
  return phases_.size() - 1;
}

double OneCycleSchedule::lr_at(int64_t t, double base) const {
  double p = 0;
  const auto& ph = phases_[locate(t, &p)];
  return max_lr_ * anneal(ph.lr_start, ph.lr_end, p) * base / reference_lr_;
}

std::optional<double> OneCycleSchedule::momentum_at(int64_t t) const {
  if (!c_.cycle_momentum) return std::nullopt;
  double p = 0;
  const auto& ph = phases_[locate(t, &p)];
  return anneal(ph.m_start, ph.m_end, p);
}

std::string OneCycleSchedule::describe() const {
  std::ostringstream os;
  os << "one_cycle" << (c_.three_phase ? " (three phases)" : "") << " " << max_lr_ / c_.div_factor << " -> " << max_lr_ << " -> "
     << max_lr_ / c_.div_factor / c_.final_div_factor << " over " << total_ << " (" << c_.anneal << ")";
  if (c_.cycle_momentum) os << ", momentum " << c_.max_momentum << " <-> " << c_.base_momentum;
  return os.str();
}

std::vector<Phase> OneCycleSchedule::phases() const {
  std::vector<Phase> out;
  const char* names[] = {"one_cycle: peak, annealing", "one_cycle: final annealing"};
  for (size_t i = 0; i + 1 < phases_.size(); ++i)
    out.push_back({static_cast<int64_t>(std::ceil(phases_[i].end_step)), names[std::min<size_t>(i, 1)]});
  return out;
}

ScheduleEntry one_cycle_schedule() {
  using config::plugin_key;
  using P = OneCycleParams;
  const char* name = "one_cycle";
  const char* consumer = "lr::OneCycleSchedule";
  return {name, "Smith's one-cycle: max_lr / div_factor -> max_lr -> tiny, momentum opposite",
          [name](const config::ScheduleConfig& c, const BuildContext& b) -> std::unique_ptr<Schedule> {
            return std::make_unique<OneCycleSchedule>(c.params.get<P>(name), b.total, b.reference_lr);
          },
          {plugin_key(name, "schedule.one_cycle.max_lr", &P::max_lr, config::at_least(0.0), consumer, "one_cycle: peak LR; 0 = LR0."),
           plugin_key(name, "schedule.one_cycle.pct_start", &P::pct_start, config::in_range(0.0, 1.0), consumer,
                      "one_cycle: fraction of T spent rising."),
           plugin_key(name, "schedule.one_cycle.anneal", &P::anneal, config::one_of({"cos", "linear"}), consumer,
                      "one_cycle: shape of each phase."),
           plugin_key(name, "schedule.one_cycle.div_factor", &P::div_factor, config::positive(), consumer,
                      "one_cycle: initial LR = max_lr / div_factor."),
           plugin_key(name, "schedule.one_cycle.final_div_factor", &P::final_div_factor, config::positive(), consumer,
                      "one_cycle: final LR = initial / final_div_factor."),
           plugin_key(name, "schedule.one_cycle.three_phase", &P::three_phase, config::any<bool>(), consumer,
                      "one_cycle: rise, fall back to the initial LR, then anneal to the final LR."),
           plugin_key(name, "schedule.one_cycle.cycle_momentum", &P::cycle_momentum, config::any<bool>(), consumer,
                      "one_cycle: momentum / beta1 moves opposite to the LR."),
           plugin_key(name, "schedule.one_cycle.base_momentum", &P::base_momentum, config::in_range(0.0, 1.0), consumer,
                      "one_cycle: momentum at the LR peak."),
           plugin_key(name, "schedule.one_cycle.max_momentum", &P::max_momentum, config::in_range(0.0, 1.0), consumer,
                      "one_cycle: momentum at the start and end.")}};
}

}  // namespace ssd::lr
