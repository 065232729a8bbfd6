#include "ssd/engine/hooks/non_finite_loss.h"

#include <filesystem>
#include <stdexcept>

#include "ssd/optim/optimizer.h"

namespace ssd::engine {

void NonFiniteLossHook::after_step(TrainContext& c) {
  if (c.step.finite()) return;
  const std::string last = (std::filesystem::path(c.run_dir) / "last.pt").string();
  throw std::runtime_error("loss is not finite at iteration " + std::to_string(c.position.iteration) + " (loss_loc " +
                           std::to_string(c.step.loc) + ", loss_conf " + std::to_string(c.step.conf) + ", lr " +
                           std::to_string(optim::get_lr(*c.optimizer)) + ")" +
                           (std::filesystem::exists(last) ? "; the last good checkpoint is " + last : std::string()) +
                           ". Lower solver.lr or lengthen the warm-up.");
}

}  // namespace ssd::engine
