#pragma once
// cyclic: Smith's cyclical LR (2017) between base_lr and max_lr (triangular, triangular2, exp_range), momentum moving
// inversely. Given absolute LRs: a parameter group with another base gets them scaled by base / reference_lr, so
// per-group multipliers keep their meaning.
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.cyclic.*: the key, rule and meaning of each field are in its row in src/lr/schedules/cyclic.cpp.
struct CyclicParams {
  double base_lr = 1e-4;
  double max_lr = 1e-3;
  double step_size_up = 2000;
  double step_size_down = 0;
  std::string mode = "triangular";
  double gamma = 1.0;
  bool cycle_momentum = false;
  double base_momentum = 0.8;
  double max_momentum = 0.9;
};

class CyclicSchedule : public Schedule {
 public:
  CyclicSchedule(const CyclicParams& params, int64_t up, int64_t down, double reference_lr, int64_t run_total);
  double lr_at(int64_t t, double base) const override;
  std::optional<double> momentum_at(int64_t t) const override;
  std::string describe() const override;
  std::vector<Phase> phases() const override;

 private:
  /// Position s in [0, 1] within the cycle and the amplitude scale g at t.
  void shape(int64_t t, double* s, double* g) const;
  CyclicParams c_;
  int64_t up_, down_;
  double reference_lr_;
  int64_t run_total_;
};

}  // namespace ssd::lr
