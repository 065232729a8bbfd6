#pragma once
// The LR controller of a run: the schedule of schedule.* on every parameter group's own base LR
// (LR0 x batch scaling x group multiplier), the warm-up of momentum and of bias LRs, and the log lines for
// every change of phase. Training, --plot-lr and the range test all read LRs from here.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// What the controller needs to know about a parameter group.
struct GroupInfo {
  std::string name = "default";
  double lr_mult = 1.0;
  bool bias = false;
};

/// What the controller needs besides schedule.*; builder::lr_controller fills it from the config and the loader.
struct LrPlan {
  int64_t iters_per_epoch = 1;
  int64_t total_iters = 0;  ///< the run's length
  double base_lr = 1e-3;    ///< LR0 after train.lr_scaling (lr/batch_scaling.h)
  std::string base_lr_line; ///< how it was scaled, for the start-up log
  std::optional<double> base_momentum;  ///< the optimizer's momentum / beta1 when a schedule may move it
  /// Writes a momentum into one group's options (the optimizer's registry entry); null when base_momentum is none.
  std::function<void(torch::optim::OptimizerOptions&, double)> set_momentum;
  std::vector<GroupInfo> groups;        ///< in the optimizer's order; one default group when empty
};

class LrController {
 public:
  LrController(const config::ScheduleConfig& schedule, LrPlan plan);

  /// LR of group `group` for the step taken at iteration t.
  double lr(int64_t t, size_t group = 0) const;
  /// Momentum / beta1 for the step at t when the schedule or the warm-up moves it, else none.
  std::optional<double> momentum(int64_t t) const;
  /// Writes the LRs (and momentum) of step t, times lr_scale(), into the optimizer and logs a phase that starts at t.
  void apply(torch::optim::Optimizer& optimizer, int64_t t);
  /// A factor on every LR that apply() writes, on top of the schedule (the non-finite-loss guard lowers it after a
  /// restore; its hook keeps it across resumes). lr() stays the schedule's own.
  void set_lr_scale(double scale) { lr_scale_ = scale; }
  double lr_scale() const { return lr_scale_; }
  /// After a validation at iteration t: feeds reduce-on-plateau and logs what it changed.
  void on_validation(const std::map<std::string, double>& metrics, int64_t t);

  std::string state() const { return schedule_->state(); }
  void load_state(const std::string& state) { schedule_->load_state(state); }

  /// Every phase boundary of the run in iterations (warm-up end, milestones, restarts ...), in order.
  std::vector<Phase> phases() const;
  /// Start-up summary lines: LR0 and its scaling, the run's length in iterations and epochs, the schedule.
  std::vector<std::string> summary() const;
  double base_lr() const { return base_lr_; }
  int64_t total_iters() const { return total_iters_; }
  int64_t iters_per_epoch() const { return iters_per_epoch_; }
  int64_t warmup_iters() const { return warmup_; }
  const Schedule& schedule() const { return *schedule_; }
  /// True when the schedule is reduce-on-plateau (it needs validation metrics).
  bool needs_validation() const;

 private:
  config::WarmupConfig warmup_config_;
  int64_t iters_per_epoch_, total_iters_, warmup_;
  double base_lr_;
  std::string scaling_line_;
  std::vector<GroupInfo> groups_;
  std::unique_ptr<Schedule> schedule_;
  std::vector<Phase> phases_;
  std::optional<double> base_momentum_;
  std::function<void(torch::optim::OptimizerOptions&, double)> set_momentum_;
  bool warned_end_ = false;
  double lr_scale_ = 1.0;
};

}  // namespace ssd::lr
