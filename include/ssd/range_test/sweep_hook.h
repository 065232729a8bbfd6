#pragma once
// The range test as a hook of the training loop: before each step it sets every group's LR to the sweep's next LR
// (times the group's multiplier), after it records the loss, and it ends the run when the sweep ends.
#include <chrono>
#include <vector>

#include "ssd/engine/hook.h"
#include "ssd/range_test/sweep.h"

namespace ssd::range_test {

class SweepHook : public engine::Hook {
 public:
  /// lr_mults: each parameter group's multiplier, in the optimizer's order.
  SweepHook(const config::RangeTestConfig& config, std::vector<double> lr_mults);
  std::string name() const override { return "range_test"; }
  bool every_rank() const override { return true; }
  void before_step(engine::TrainContext& context) override;
  void after_step(engine::TrainContext& context) override;
  const RangeTestResult& result() const { return sweep_.result(); }
  /// The median wall time from one step's end to the next's (loading its batch included): the pace of training, the
  /// first step's start-up (loader, allocator, kernels chosen) left out; 0 with fewer than two steps.
  double seconds_per_step() const;

 private:
  Sweep sweep_;
  std::vector<double> lr_mults_;
  std::vector<std::chrono::steady_clock::time_point> step_ends_;
};

}  // namespace ssd::range_test
