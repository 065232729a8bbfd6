#pragma once
// The schedules of the registry, one class each (formulas in docs/schedules.md, semantics in SPEC-LR.md).
// Lengths are in the schedule's own clock; make_schedule() converts config durations into it.
#include <memory>
#include <vector>

#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// lr = base.
class ConstantSchedule : public Schedule {
 public:
  double lr_at(int64_t, double base) const override { return base; }
  std::string describe() const override { return "constant"; }
};

/// lr = base * gamma ^ floor(t / step_size).
class StepSchedule : public Schedule {
 public:
  StepSchedule(int64_t step_size, double gamma, int64_t total);
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;

 private:
  int64_t step_size_, total_;
  double gamma_;
};

/// lr = base * gamma ^ (number of milestones <= t): the decay applies at t = milestone.
class MultiStepSchedule : public Schedule {
 public:
  MultiStepSchedule(std::vector<int64_t> milestones, double gamma);
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

/// lr = base * gamma ^ t.
class ExponentialSchedule : public Schedule {
 public:
  explicit ExponentialSchedule(double gamma) : gamma_(gamma) {}
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;

 private:
  double gamma_;
};

/// lr = base * (start + (end - start) * min(t, T) / T).
class LinearSchedule : public Schedule {
 public:
  LinearSchedule(double start_factor, double end_factor, int64_t total);
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;
  int64_t end() const override { return total_; }

 private:
  double start_, end_;
  int64_t total_;
};

/// lr = (base - end_lr) * (1 - min(t, T) / T) ^ power + end_lr.
class PolynomialSchedule : public Schedule {
 public:
  PolynomialSchedule(int64_t total, double power, double end_lr);
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;
  int64_t end() const override { return total_; }

 private:
  int64_t total_;
  double power_, end_lr_;
};

/// lr = eta_min + (base - eta_min) * (1 + cos(pi * min(t, T) / T)) / 2 (t unclamped when periodic, as PyTorch).
class CosineSchedule : public Schedule {
 public:
  CosineSchedule(int64_t total, double eta_min, bool periodic);
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;
  int64_t end() const override { return periodic_ ? -1 : total_; }

 private:
  int64_t total_;
  double eta_min_;
  bool periodic_;
};

/// SGDR: cosine cycles of length T_0 * T_mult^i, the peak of cycle i at base * decay^i.
class CosineRestartsSchedule : public Schedule {
 public:
  CosineRestartsSchedule(int64_t t0, int64_t t_mult, double eta_min, double decay, int64_t run_total);
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;
  /// Cycle index, position in the cycle and cycle length at t.
  void locate(int64_t t, int64_t* cycle, int64_t* position, int64_t* length) const;

 private:
  int64_t t0_, t_mult_;
  double eta_min_, decay_;
  int64_t run_total_;
};

/// Smith's cyclical LR between base_lr and max_lr (triangular, triangular2, exp_range), momentum inverse.
class CyclicSchedule : public Schedule {
 public:
  CyclicSchedule(const config::CyclicScheduleConfig& config, int64_t up, int64_t down, double reference_lr, int64_t run_total);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;

 private:
  /// Position s in [0, 1] within the cycle and the amplitude scale g at t.
  void shape(int64_t t, double* s, double* g) const;
  config::CyclicScheduleConfig c_;
  int64_t up_, down_;
  double reference_lr_;
  int64_t run_total_;
};

/// Smith's one-cycle policy (two or three phases, cos or linear annealing), momentum opposite to the LR.
class OneCycleSchedule : public Schedule {
 public:
  OneCycleSchedule(const config::OneCycleScheduleConfig& config, int64_t total, double reference_lr);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;
  int64_t end() const override { return total_ - 1; }

 private:
  struct PhaseSpec {
    double end_step;
    double lr_start, lr_end;  ///< as fractions of max_lr
    double m_start, m_end;
  };
  double anneal(double from, double to, double p) const;
  /// Phase index and position p in it at t.
  size_t locate(int64_t t, double* p) const;
  config::OneCycleScheduleConfig c_;
  int64_t total_;
  double max_lr_;  ///< the peak for the reference group
  double reference_lr_;
  std::vector<PhaseSpec> phases_;
};

/// Schedules joined at milestones; segment k runs on its own clock t - start_k, from base (or from where the
/// previous segment ended, with continue_from_previous).
class SequentialSchedule : public Schedule {
 public:
  SequentialSchedule(std::vector<std::unique_ptr<Schedule>> segments, std::vector<int64_t> starts, std::vector<std::string> names,
                     bool continue_from_previous);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;
  int64_t end() const override;
  std::string on_validation(const std::map<std::string, double>& metrics, int64_t t) override;
  std::string state() const override;
  void load_state(const std::string& state) override;

 private:
  size_t segment_at(int64_t t) const;
  double segment_base(size_t k, double base) const;
  std::vector<std::unique_ptr<Schedule>> segments_;
  std::vector<int64_t> starts_;
  std::vector<std::string> names_;
  bool continue_;
};

/// interval: epoch: the inner schedule (durations in epochs) runs at floor(t / iters_per_epoch).
class EpochIntervalSchedule : public Schedule {
 public:
  EpochIntervalSchedule(std::unique_ptr<Schedule> inner, int64_t iters_per_epoch);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;
  int64_t end() const override;
  std::string on_validation(const std::map<std::string, double>& metrics, int64_t t) override;
  std::string state() const override { return inner_->state(); }
  void load_state(const std::string& state) override { inner_->load_state(state); }

 private:
  std::unique_ptr<Schedule> inner_;
  int64_t per_epoch_;
};

/// Warm-up around any schedule: factor linear f0 + (1 - f0) t / W, constant f0 or exponential f0^(1 - t / W)
/// for t < W. Not prefix: lr = inner(t) * factor(t). Prefix: inner(0) * factor(t), then inner(t - W).
class WarmupSchedule : public Schedule {
 public:
  WarmupSchedule(std::unique_ptr<Schedule> inner, std::string method, int64_t iters, double start_factor, bool prefix);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;
  int64_t end() const override;
  std::string on_validation(const std::map<std::string, double>& metrics, int64_t t) override;
  std::string state() const override { return inner_->state(); }
  void load_state(const std::string& state) override { inner_->load_state(state); }
  double factor_at(int64_t t) const;
  /// The schedule without warm-up at t (for the bias-LR warm-up, which heads for it).
  double main_at(int64_t t, double base) const;
  int64_t iters() const { return iters_; }

 private:
  std::unique_ptr<Schedule> inner_;
  std::string method_;
  int64_t iters_;
  double start_factor_;
  bool prefix_;
};

/// Reduce-on-plateau (PyTorch's ReduceLROnPlateau) as a multiplier on top of another schedule, updated after
/// each validation only.
class PlateauSchedule : public Schedule {
 public:
  PlateauSchedule(std::unique_ptr<Schedule> inner, const config::PlateauScheduleConfig& config, double reference_lr);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override { return inner_->momentum_at(t); }
  std::string describe() const override;
  std::vector<Phase> phases() const override { return inner_->phases(); }
  int64_t end() const override { return inner_->end(); }
  std::string on_validation(const std::map<std::string, double>& metrics, int64_t t) override;
  std::string state() const override;
  void load_state(const std::string& state) override;
  double multiplier() const { return multiplier_; }
  const std::string& monitor() const { return c_.monitor; }
  bool maximise() const { return maximise_; }

 private:
  std::unique_ptr<Schedule> inner_;
  config::PlateauScheduleConfig c_;
  double reference_lr_;
  bool maximise_;
  // State (saved in checkpoints).
  double best_;
  int64_t num_bad_ = 0, cooldown_counter_ = 0, reductions_ = 0;
  double multiplier_ = 1.0;
};

}  // namespace ssd::lr
