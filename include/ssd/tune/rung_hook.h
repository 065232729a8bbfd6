#pragma once
// The tuner's hook in a trial's training run: it records the monitored metric (tune's `monitor`) at every validation,
// so that the rung's result is the metric of the run's last validation (NaN when none scored).
#include <cmath>
#include <string>

#include "ssd/engine/hook.h"

namespace ssd::tune {

class RungHook : public engine::Hook {
 public:
  explicit RungHook(std::string monitor) : monitor_(std::move(monitor)) {}
  std::string name() const override { return "tuner_rung"; }
  void after_validation(engine::TrainContext&, const engine::Validation& v) override {
    const auto it = v.metrics.find(monitor_);
    metric_ = it != v.metrics.end() ? it->second : std::nan("");
  }
  double metric() const { return metric_; }

 private:
  std::string monitor_;
  double metric_ = std::nan("");
};

}  // namespace ssd::tune
