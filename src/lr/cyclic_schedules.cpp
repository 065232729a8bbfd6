// Smith's cyclical LR (2017) and one-cycle policy (2018), with momentum moving opposite to the LR.
// Both are given absolute LRs (cyclic's base_lr / max_lr, one_cycle's max_lr); a parameter group with another
// base gets them scaled by base / reference_lr, so per-group multipliers keep their meaning.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "ssd/lr/schedules.h"

namespace ssd::lr {

CyclicSchedule::CyclicSchedule(const config::CyclicScheduleConfig& config, int64_t up, int64_t down, double reference_lr,
                               int64_t run_total)
    : c_(config), up_(std::max<int64_t>(up, 1)), down_(std::max<int64_t>(down, 1)), reference_lr_(reference_lr), run_total_(run_total) {}

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

OneCycleSchedule::OneCycleSchedule(const config::OneCycleScheduleConfig& config, int64_t total, double reference_lr)
    : c_(config), total_(std::max<int64_t>(total, 2)), max_lr_(config.max_lr > 0 ? config.max_lr : reference_lr),
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

}  // namespace ssd::lr
