// cosine (held at eta_min after T, or PyTorch's periodic form) and cosine with warm restarts (SGDR).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "ssd/lr/schedules.h"

namespace ssd::lr {

namespace {
double half_cosine(double lo, double hi, double position, double length) {
  return lo + (hi - lo) * (1.0 + std::cos(M_PI * position / length)) / 2.0;
}
}  // namespace

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

}  // namespace ssd::lr
