#include "ssd/range_test/sweep_hook.h"

#include <cmath>

#include "ssd/optim/optimizer.h"

namespace ssd::range_test {

SweepHook::SweepHook(const config::RangeTestConfig& config, std::vector<double> lr_mults) : sweep_(config), lr_mults_(std::move(lr_mults)) {}

void SweepHook::before_step(engine::TrainContext& c) {
  const double lr = sweep_.next_lr();
  for (size_t g = 0; g < lr_mults_.size(); ++g) optim::set_group_lr(*c.optimizer, g, lr * lr_mults_[g]);
}

void SweepHook::after_step(engine::TrainContext& c) {
  if (c.step.finite()) sweep_.record(c.step.total, c.step.loc, c.step.conf);
  else sweep_.record(std::nan(""));
  if (sweep_.done()) c.request_stop(sweep_.result().stop_reason.empty() ? "the sweep's last LR" : sweep_.result().stop_reason);
}

}  // namespace ssd::range_test
