#include "ssd/lr/controller.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "ssd/lr/warmup.h"
#include "ssd/optim/optimizer.h"

namespace ssd::lr {

LrController::LrController(const config::ScheduleConfig& schedule, LrPlan plan)
    : warmup_config_(schedule.warmup), iters_per_epoch_(std::max<int64_t>(plan.iters_per_epoch, 1)), total_iters_(plan.total_iters),
      warmup_(lr::warmup_iters(schedule, iters_per_epoch_)), base_lr_(plan.base_lr), scaling_line_(std::move(plan.base_lr_line)),
      groups_(std::move(plan.groups)), base_momentum_(plan.base_momentum),
      set_momentum_(std::move(plan.set_momentum)) {
  if (groups_.empty()) groups_.push_back({});
  schedule_ = make_schedule(schedule, {total_iters_, iters_per_epoch_, base_lr_});
  for (const auto& p : schedule_->phases())
    if (p.start > 0 && p.start < total_iters_) phases_.push_back(p);
}

double LrController::lr(int64_t t, size_t group) const {
  const auto& g = groups_.at(group);
  const double base = base_lr_ * g.lr_mult;
  const auto& w = warmup_config_;
  if (g.bias && w.bias_lr > 0 && t < warmup_) {
    // Ultralytics' habit: bias LRs fall from warmup.bias_lr towards where the schedule (without warm-up) is.
    const auto* wrapped = dynamic_cast<const WarmupSchedule*>(schedule_.get());
    const double target = wrapped ? wrapped->main_at(t, base) : schedule_->lr_at(t, base);
    return w.bias_lr + (target - w.bias_lr) * static_cast<double>(t) / static_cast<double>(warmup_);
  }
  return schedule_->lr_at(t, base);
}

std::optional<double> LrController::momentum(int64_t t) const {
  if (!base_momentum_) return std::nullopt;
  if (auto m = schedule_->momentum_at(t)) return m;
  const double start = warmup_config_.momentum;
  if (start > 0 && warmup_ > 0) {
    if (t >= warmup_) return *base_momentum_;
    return start + (*base_momentum_ - start) * static_cast<double>(t) / static_cast<double>(warmup_);
  }
  return std::nullopt;
}

void LrController::apply(torch::optim::Optimizer& optimizer, int64_t t) {
  const size_t n = std::min(groups_.size(), optimizer.param_groups().size());
  for (size_t g = 0; g < n; ++g) optim::set_group_lr(optimizer, g, lr(t, g) * lr_scale_);
  if (const auto m = momentum(t); m && set_momentum_)
    for (auto& group : optimizer.param_groups()) set_momentum_(group.options(), *m);
  if (t == 0 && lr(0) == 0.0) spdlog::info("iteration 0: the warm-up starts at LR 0, so the first step changes nothing");
  for (const auto& p : phases_)
    if (p.start == t) spdlog::info("iteration {} (epoch {:.2f}): {}; LR now {:.4g}", t, static_cast<double>(t) / iters_per_epoch_,
                                   p.label, lr(t) * lr_scale_);
  const int64_t end = schedule_->end();
  if (!warned_end_ && end >= 0 && t > end && end < total_iters_) {
    warned_end_ = true;
    spdlog::warn("iteration {}: the schedule ended at iteration {}; the LR holds at {:.4g} from here on", t, end, lr(t));
  }
}

void LrController::on_validation(const std::map<std::string, double>& metrics, int64_t t) {
  const auto line = schedule_->on_validation(metrics, t);
  if (!line.empty()) spdlog::info("iteration {}: {}", t, line);
}

std::vector<Phase> LrController::phases() const { return phases_; }

// Only reduce-on-plateau has state, and its state is tagged "plateau" (also inside sequential or warm-up).
bool LrController::needs_validation() const { return schedule_->state().find("plateau") != std::string::npos; }

std::vector<std::string> LrController::summary() const {
  std::vector<std::string> lines;
  lines.push_back(scaling_line_);
  char buf[256];
  std::snprintf(buf, sizeof(buf), "schedule over %lld iterations = %.4g epochs of %lld iterations (warm-up %lld iterations = %.3g epochs)",
                static_cast<long long>(total_iters_), static_cast<double>(total_iters_) / iters_per_epoch_,
                static_cast<long long>(iters_per_epoch_), static_cast<long long>(warmup_), static_cast<double>(warmup_) / iters_per_epoch_);
  lines.push_back(buf);
  lines.push_back("schedule: " + schedule_->describe());
  std::string phase_line = "phases at iteration (epoch):";
  const auto ps = phases();
  for (size_t i = 0; i < ps.size() && i < 12; ++i) {
    std::snprintf(buf, sizeof(buf), "%s %lld (%.3g) %s", i ? ";" : "", static_cast<long long>(ps[i].start),
                  static_cast<double>(ps[i].start) / iters_per_epoch_, ps[i].label.c_str());
    phase_line += buf;
  }
  if (ps.size() > 12) phase_line += " ... (" + std::to_string(ps.size()) + " in all)";
  if (!ps.empty()) lines.push_back(phase_line);
  return lines;
}

}  // namespace ssd::lr
