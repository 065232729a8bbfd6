// sgd: torch.optim.SGD (LibTorch's) with momentum, Nesterov and L2 weight decay: the SSD paper's optimizer.
#include <torch/optim/sgd.h>

#include "ssd/optim/registry.h"

namespace ssd::optim {

OptimizerEntry sgd_optimizer() {
  using torch::optim::SGDOptions;
  auto e = libtorch_optimizer<torch::optim::SGD, SGDOptions>(
      "sgd", "SGD with solver.momentum, solver.nesterov and L2 weight decay (the SSD paper's)",
      [](const config::SolverConfig& c, double lr, double weight_decay) {
        return SGDOptions(lr).momentum(c.momentum).nesterov(c.nesterov).weight_decay(weight_decay);
      });
  moves_momentum<SGDOptions>(e);
  return e;
}

}  // namespace ssd::optim
