#include "ssd/lr/schedules/plateau.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "ssd/util/error.h"

namespace ssd::lr {

PlateauSchedule::PlateauSchedule(std::unique_ptr<Schedule> inner, const PlateauParams& params, double reference_lr)
    : inner_(std::move(inner)), c_(params), reference_lr_(reference_lr),
      maximise_(params.mode == "max" || (params.mode == "auto" && params.monitor == "val/mAP")),
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

ScheduleEntry plateau_schedule() {
  using config::plugin_key;
  using P = PlateauParams;
  const char* name = "plateau";
  const char* consumer = "lr::PlateauSchedule";
  return {name, "reduce-on-plateau: x factor when val/loss or val/mAP stalls (over schedule.plateau.over)",
          [name](const config::ScheduleConfig& c, const BuildContext& b) -> std::unique_ptr<Schedule> {
            const auto& p = c.params.get<P>(name);
            if (p.over == "plateau") throw ConfigError("schedule.plateau.over: a plateau cannot wrap another plateau");
            return std::make_unique<PlateauSchedule>(b.build(p.over, b.total), p, b.reference_lr);
          },
          {plugin_key(name, "schedule.plateau.over", &P::over, config::any<std::string>(), consumer, "plateau: the schedule it multiplies."),
           plugin_key(name, "schedule.plateau.monitor", &P::monitor, config::one_of({"val/loss", "val/mAP"}), consumer,
                      "plateau: validation metric that drives it."),
           plugin_key(name, "schedule.plateau.mode", &P::mode, config::one_of({"auto", "min", "max"}), consumer,
                      "plateau: auto = min for val/loss, max for val/mAP."),
           plugin_key(name, "schedule.plateau.factor", &P::factor, config::in_range(0.0, 1.0), consumer, "plateau: LR multiplier per reduction."),
           plugin_key(name, "schedule.plateau.patience", &P::patience, config::at_least<int64_t>(0), consumer,
                      "plateau: the LR drops after patience + 1 evaluations without improvement."),
           plugin_key(name, "schedule.plateau.threshold", &P::threshold, config::at_least(0.0), consumer,
                      "plateau: smallest improvement that counts."),
           plugin_key(name, "schedule.plateau.threshold_mode", &P::threshold_mode, config::one_of({"rel", "abs"}), consumer,
                      "plateau: threshold relative to the best value, or absolute."),
           plugin_key(name, "schedule.plateau.cooldown", &P::cooldown, config::at_least<int64_t>(0), consumer,
                      "plateau: evaluations after a reduction that count as neither good nor bad."),
           plugin_key(name, "schedule.plateau.min_lr", &P::min_lr, config::at_least(0.0), consumer, "plateau: lower bound of a reduced LR."),
           plugin_key(name, "schedule.plateau.eps", &P::eps, config::at_least(0.0), consumer,
                      "plateau: reductions smaller than this are skipped.")}};
}

}  // namespace ssd::lr
