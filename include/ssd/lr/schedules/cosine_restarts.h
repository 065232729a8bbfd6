#pragma once
// cosine_restarts (SGDR, Loshchilov & Hutter 2017): cosine cycles of length T_0 * T_mult^i, the peak of cycle i at
// base * decay^i.
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.cosine_restarts.*: the key, rule and meaning of each field are in its row in src/lr/schedules/cosine_restarts.cpp.
struct CosineRestartsParams {
  double T_0 = 1000;
  int64_t T_mult = 1;
  double eta_min = 0.0;
  double decay = 1.0;
};

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

}  // namespace ssd::lr
