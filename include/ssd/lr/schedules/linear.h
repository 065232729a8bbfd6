#pragma once
// linear: lr = base * (start + (end - start) * min(t, T) / T).
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.linear.*: the key, rule and meaning of each field are in its row in src/lr/schedules/linear.cpp.
struct LinearParams {
  double start_factor = 1.0 / 3.0;
  double end_factor = 1.0;
};

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

}  // namespace ssd::lr
