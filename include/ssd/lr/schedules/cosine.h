#pragma once
// cosine: lr = eta_min + (base - eta_min) * (1 + cos(pi * min(t, T) / T)) / 2 (t unclamped when periodic, as
// PyTorch's CosineAnnealingLR past T).
#include "ssd/lr/schedule.h"

namespace ssd::lr {

/// schedule.cosine.*: the key, rule and meaning of each field are in its row in src/lr/schedules/cosine.cpp.
struct CosineParams {
  double eta_min = 0.0;
  bool periodic = false;
};

/// lo + (hi - lo) (1 + cos(pi position / length)) / 2: half a cosine from hi down to lo (cosine, cosine_restarts).
double half_cosine(double lo, double hi, double position, double length);

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

}  // namespace ssd::lr
