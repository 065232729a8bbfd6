#pragma once
// step: lr = base * gamma ^ floor(t / step_size).
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.step.*: the key, rule and meaning of each field are in its row in src/lr/schedules/step.cpp.
struct StepParams {
  double step_size = 1000;
  double gamma = 0.1;
};

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

}  // namespace ssd::lr
