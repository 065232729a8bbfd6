#include "ssd/range_test/sweep_hook.h"

#include <algorithm>
#include <cmath>

#include "ssd/optim/optimizer.h"

namespace ssd::range_test {

SweepHook::SweepHook(const config::RangeTestConfig& config, std::vector<double> lr_mults) : sweep_(config), lr_mults_(std::move(lr_mults)) {}

void SweepHook::before_step(engine::TrainContext& c) {
  const double lr = sweep_.next_lr();
  for (size_t g = 0; g < lr_mults_.size(); ++g) optim::set_group_lr(*c.optimizer, g, lr * lr_mults_[g]);
}

void SweepHook::after_step(engine::TrainContext& c) {
  step_ends_.push_back(std::chrono::steady_clock::now());
  if (c.step.finite()) sweep_.record(c.step.total, c.step.loc, c.step.conf);
  else sweep_.record(std::nan(""));
  if (sweep_.done()) c.request_stop(sweep_.result().stop_reason.empty() ? "the sweep's last LR" : sweep_.result().stop_reason);
}

double SweepHook::seconds_per_step() const {
  if (step_ends_.size() < 2) return 0;
  std::vector<double> gaps;
  for (size_t i = 1; i < step_ends_.size(); ++i) gaps.push_back(std::chrono::duration<double>(step_ends_[i] - step_ends_[i - 1]).count());
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2), gaps.end());
  return gaps[gaps.size() / 2];
}

}  // namespace ssd::range_test
