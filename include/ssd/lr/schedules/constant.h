#pragma once
// constant: lr = base.
#include "ssd/lr/schedule.h"

namespace ssd::lr {

class ConstantSchedule : public Schedule {
 public:
  double lr_at(int64_t, double base) const override { return base; }
  std::string describe() const override { return "constant"; }
};

}  // namespace ssd::lr
