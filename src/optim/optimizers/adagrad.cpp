// adagrad: torch.optim.Adagrad (LibTorch's).
#include <torch/optim/adagrad.h>

#include "ssd/optim/registry.h"

namespace ssd::optim {

OptimizerEntry adagrad_optimizer() {
  using torch::optim::AdagradOptions;
  return libtorch_optimizer<torch::optim::Adagrad, AdagradOptions>(
      "adagrad", "Adagrad with solver.eps", [](const config::SolverConfig& c, double lr, double weight_decay) {
        return AdagradOptions(lr).eps(c.eps).weight_decay(weight_decay);
      });
}

}  // namespace ssd::optim
