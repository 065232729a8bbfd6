#pragma once
// The optimizer table (solver.optimizer). Each optimizer lives in its own file, optim/optimizers/<name>.cpp, which
// returns its entry: how to build it over parameter groups, the options of one group, the momentum a schedule may
// move (SGD momentum, Adam beta1) and the config keys of its own hyper-parameters (config/plugin_params.h). The
// registry (src/optim/registry.cpp) lists those functions; a new optimizer is its file plus its line there.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/util/registry.h"

namespace ssd::optim {

/// solver.* -> the options of one parameter group at this LR and weight decay.
using OptionsFactory =
    std::function<std::unique_ptr<torch::optim::OptimizerOptions>(const config::SolverConfig&, double lr, double weight_decay)>;
/// The optimizer over `groups` with solver.* as its defaults.
using OptimizerFactory = std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::optim::OptimizerParamGroup> groups,
                                                                                const config::SolverConfig&)>;

struct OptimizerEntry {
  std::string name;
  std::string description;
  OptimizerFactory make;
  OptionsFactory options;
  /// The configured momentum a schedule or the warm-up may move (solver.momentum, solver.betas[0]); null = none.
  std::function<std::optional<double>(const config::SolverConfig&)> momentum;
  /// Writes a momentum into one group's options; null when `momentum` is.
  std::function<void(torch::optim::OptimizerOptions&, double)> set_momentum;
  std::vector<config::PluginKey> keys;  ///< its own hyper-parameters (solver.<name>_*)
};

const util::Registry<OptimizerEntry>& optimizer_registry();

/// The entry of a LibTorch optimizer class: `options` makes one group's options from solver.*, its LR and weight decay.
template <typename Optimizer, typename Options>
OptimizerEntry libtorch_optimizer(std::string name, std::string description,
                                  std::function<Options(const config::SolverConfig&, double lr, double weight_decay)> options) {
  OptimizerEntry e;
  e.name = std::move(name);
  e.description = std::move(description);
  e.options = [options](const config::SolverConfig& c, double lr, double weight_decay) -> std::unique_ptr<torch::optim::OptimizerOptions> {
    return std::make_unique<Options>(options(c, lr, weight_decay));
  };
  e.make = [options](std::vector<torch::optim::OptimizerParamGroup> groups, const config::SolverConfig& c) -> std::unique_ptr<torch::optim::Optimizer> {
    return std::make_unique<Optimizer>(std::move(groups), options(c, c.lr, c.weight_decay));
  };
  return e;
}

/// The momentum a schedule moves is solver.momentum, Options::momentum (SGD, RMSprop).
template <typename Options>
void moves_momentum(OptimizerEntry& e) {
  e.momentum = [](const config::SolverConfig& c) -> std::optional<double> { return c.momentum; };
  e.set_momentum = [](torch::optim::OptimizerOptions& o, double m) { static_cast<Options&>(o).momentum(m); };
}

/// The momentum a schedule moves is beta1, solver.betas[0] (Adam, AdamW).
template <typename Options>
void moves_beta1(OptimizerEntry& e) {
  e.momentum = [](const config::SolverConfig& c) -> std::optional<double> { return c.betas[0]; };
  e.set_momentum = [](torch::optim::OptimizerOptions& o, double m) {
    auto& options = static_cast<Options&>(o);
    options.betas({m, std::get<1>(options.betas())});
  };
}

}  // namespace ssd::optim
