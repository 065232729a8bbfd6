#pragma once
// multistep: lr = base * gamma ^ (number of milestones <= t): the decay applies at t = milestone.
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.multistep.*: the key, rule and meaning of each field are in its row in src/lr/schedules/multistep.cpp.
struct MultiStepParams {
  std::vector<double> milestones;
  std::vector<double> fractions = {2.0 / 3.0, 5.0 / 6.0};
  double gamma = 0.1;
};

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

}  // namespace ssd::lr
