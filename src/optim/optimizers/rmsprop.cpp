// rmsprop: torch.optim.RMSprop (LibTorch's; smoothing constant 0.99), with momentum.
#include <torch/optim/rmsprop.h>

#include "ssd/optim/registry.h"

namespace ssd::optim {

OptimizerEntry rmsprop_optimizer() {
  using torch::optim::RMSpropOptions;
  auto e = libtorch_optimizer<torch::optim::RMSprop, RMSpropOptions>(
      "rmsprop", "RMSprop with solver.momentum and solver.eps (smoothing 0.99)",
      [](const config::SolverConfig& c, double lr, double weight_decay) {
        return RMSpropOptions(lr).momentum(c.momentum).eps(c.eps).weight_decay(weight_decay);
      });
  moves_momentum<RMSpropOptions>(e);
  return e;
}

}  // namespace ssd::optim
