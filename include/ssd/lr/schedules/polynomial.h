#pragma once
// polynomial: lr = (base - end_lr) * (1 - min(t, T) / T) ^ power + end_lr.
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.polynomial.*: the key, rule and meaning of each field are in its row in src/lr/schedules/polynomial.cpp.
struct PolynomialParams {
  double power = 1.0;
  double end_lr = 0.0;
};

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

}  // namespace ssd::lr
