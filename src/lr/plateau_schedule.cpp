// Reduce-on-plateau with PyTorch's ReduceLROnPlateau rules (SPEC-LR.md), as a multiplier on another schedule.
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "ssd/lr/schedules.h"
#include "ssd/util/error.h"

namespace ssd::lr {

PlateauSchedule::PlateauSchedule(std::unique_ptr<Schedule> inner, const config::PlateauScheduleConfig& config, double reference_lr)
    : inner_(std::move(inner)), c_(config), reference_lr_(reference_lr),
      maximise_(config.mode == "max" || (config.mode == "auto" && config.monitor == "val/mAP")),
      best_(maximise_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity()) {}

double PlateauSchedule::lr_at(int64_t t, double base) const {
  const double lr = inner_->lr_at(t, base) * multiplier_;
  // min_lr bounds reduced LRs only: before any reduction the LR is what the wrapped schedule says (PyTorch).
  return reductions_ > 0 ? std::max(lr, c_.min_lr) : lr;
}

std::string PlateauSchedule::on_validation(const std::map<std::string, double>& metrics, int64_t t) {
  std::string line = inner_->on_validation(metrics, t);
  const auto it = metrics.find(c_.monitor);
  if (it == metrics.end() || !std::isfinite(it->second)) return line;
  const double a = it->second;
  bool better;
  if (maximise_) better = c_.threshold_mode == "rel" ? a > best_ * (1.0 + c_.threshold) : a > best_ + c_.threshold;
  else better = c_.threshold_mode == "rel" ? a < best_ * (1.0 - c_.threshold) : a < best_ - c_.threshold;
  if (better) best_ = a, num_bad_ = 0;
  else ++num_bad_;
  if (cooldown_counter_ > 0) --cooldown_counter_, num_bad_ = 0;
  if (num_bad_ > c_.patience) {
    const double old_lr = lr_at(t, reference_lr_);
    const double new_lr = std::max(old_lr * c_.factor, c_.min_lr);
    if (old_lr - new_lr > c_.eps) {
      multiplier_ *= c_.factor;
      ++reductions_;
      char buf[200];
      std::snprintf(buf, sizeof(buf), "plateau: %s did not improve on %.6g for %lld evaluations: LR %.4g -> %.4g", c_.monitor.c_str(),
                    best_, static_cast<long long>(num_bad_), old_lr, lr_at(t, reference_lr_));
      line += (line.empty() ? "" : "; ") + std::string(buf);
    }
    cooldown_counter_ = c_.cooldown;
    num_bad_ = 0;
  }
  return line;
}

std::string PlateauSchedule::describe() const {
  std::ostringstream os;
  os << "plateau on " << c_.monitor << " (" << (maximise_ ? "max" : "min") << ", x" << c_.factor << " after " << c_.patience + 1
     << " evaluations without improvement, cooldown " << c_.cooldown << ", min_lr " << c_.min_lr << ") over " << inner_->describe();
  return os.str();
}

std::string PlateauSchedule::state() const {
  char buf[200];
  std::snprintf(buf, sizeof(buf), "plateau %.17g %lld %lld %lld %.17g;%s", best_, static_cast<long long>(num_bad_),
                static_cast<long long>(cooldown_counter_), static_cast<long long>(reductions_), multiplier_, inner_->state().c_str());
  return buf;
}

void PlateauSchedule::load_state(const std::string& state) {
  std::istringstream in(state);
  std::string tag, best;
  long long bad = 0, cooldown = 0, reductions = 0;
  double multiplier = 1;
  in >> tag >> best >> bad >> cooldown >> reductions >> multiplier;
  if (tag != "plateau" || in.fail()) throw CheckpointError("schedule state '" + state + "' is not a plateau state");
  best_ = std::strtod(best.c_str(), nullptr);  // reads inf / -inf, which operator>> does not
  num_bad_ = bad, cooldown_counter_ = cooldown, reductions_ = reductions, multiplier_ = multiplier;
  const auto semicolon = state.find(';');
  if (semicolon != std::string::npos) inner_->load_state(state.substr(semicolon + 1));
}

}  // namespace ssd::lr
