#pragma once
// one_cycle: Smith's one-cycle policy (2018; torch.optim.lr_scheduler.OneCycleLR): max_lr / div_factor -> max_lr ->
// a tiny final LR in two or three phases (cos or linear annealing), momentum opposite to the LR. Given absolute LRs,
// scaled per group as cyclic's are.
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.one_cycle.*: the key, rule and meaning of each field are in its row in src/lr/schedules/one_cycle.cpp.
struct OneCycleParams {
  double max_lr = 0.0;
  double pct_start = 0.3;
  std::string anneal = "cos";
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool three_phase = false;
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
};

class OneCycleSchedule : public Schedule {
 public:
  OneCycleSchedule(const OneCycleParams& params, int64_t total, double reference_lr);
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
  OneCycleParams c_;
  int64_t total_;
  double max_lr_;  ///< the peak for the reference group
  double reference_lr_;
  std::vector<PhaseSpec> phases_;
};

}  // namespace ssd::lr
