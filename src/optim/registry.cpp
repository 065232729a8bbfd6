#include "ssd/optim/registry.h"

namespace ssd::optim {

// Each in optim/optimizers/<name>.cpp. A new optimizer: its file, its declaration here and its name in the list below.
OptimizerEntry sgd_optimizer();
OptimizerEntry adam_optimizer();
OptimizerEntry adamw_optimizer();
OptimizerEntry rmsprop_optimizer();
OptimizerEntry adagrad_optimizer();
OptimizerEntry adadelta_optimizer();
OptimizerEntry adamax_optimizer();
OptimizerEntry asgd_optimizer();
OptimizerEntry rprop_optimizer();
OptimizerEntry lion_optimizer();

const util::Registry<OptimizerEntry>& optimizer_registry() {
  // The order is --list-optimizers' and the order of the optimizers' own keys in docs/config.md and --print-config.
  static const util::Registry<OptimizerEntry> registry(
      "optimizer", "solver.optimizer",
      {sgd_optimizer(), adam_optimizer(), adamw_optimizer(), rmsprop_optimizer(), adagrad_optimizer(), adadelta_optimizer(),
       adamax_optimizer(), asgd_optimizer(), rprop_optimizer(), lion_optimizer()});
  return registry;
}

}  // namespace ssd::optim
