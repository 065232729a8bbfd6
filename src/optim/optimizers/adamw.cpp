// adamw: torch.optim.AdamW (LibTorch's), weight decay decoupled from the gradient (Loshchilov & Hutter 2019).
#include <torch/optim/adamw.h>

#include "ssd/optim/registry.h"

namespace ssd::optim {

OptimizerEntry adamw_optimizer() {
  using torch::optim::AdamWOptions;
  auto e = libtorch_optimizer<torch::optim::AdamW, AdamWOptions>(
      "adamw", "AdamW with solver.betas and solver.eps; decoupled weight decay",
      [](const config::SolverConfig& c, double lr, double weight_decay) {
        return AdamWOptions(lr).betas({c.betas[0], c.betas[1]}).eps(c.eps).weight_decay(weight_decay);
      });
  moves_beta1<AdamWOptions>(e);
  return e;
}

}  // namespace ssd::optim
