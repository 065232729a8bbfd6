// adam: torch.optim.Adam (LibTorch's), L2 weight decay added to the gradient.
#include <torch/optim/adam.h>

#include "ssd/optim/registry.h"

namespace ssd::optim {

OptimizerEntry adam_optimizer() {
  using torch::optim::AdamOptions;
  auto e = libtorch_optimizer<torch::optim::Adam, AdamOptions>(
      "adam", "Adam with solver.betas and solver.eps; weight decay as L2 on the gradient",
      [](const config::SolverConfig& c, double lr, double weight_decay) {
        return AdamOptions(lr).betas({c.betas[0], c.betas[1]}).eps(c.eps).weight_decay(weight_decay);
      });
  moves_beta1<AdamOptions>(e);
  return e;
}

}  // namespace ssd::optim
