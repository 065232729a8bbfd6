#pragma once
// exponential: lr = base * gamma ^ t.
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.exponential.*: the key, rule and meaning of each field are in its row in src/lr/schedules/exponential.cpp.
struct ExponentialParams {
  double gamma = 0.999;
};

class ExponentialSchedule : public Schedule {
 public:
  explicit ExponentialSchedule(double gamma) : gamma_(gamma) {}
  double lr_at(int64_t t, double base) const override;
  std::string describe() const override;

 private:
  double gamma_;
};

}  // namespace ssd::lr
