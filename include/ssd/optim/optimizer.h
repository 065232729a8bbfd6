#pragma once
// The optimizer of solver.* over parameter groups (the kind from the optimizer registry, optim/registry.h), and the
// one place that writes a learning rate into an optimizer (the LR controller computes them; these functions write).
#include <memory>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/optim/param_groups.h"

namespace ssd::optim {

/// solver.optimizer over `groups`, each at LR0 x lr_mult and weight_decay x weight_decay_mult. ConfigError naming
/// solver.optimizer for an unknown name.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::SolverConfig& config, const std::vector<ParamGroup>& groups);

/// One group of all parameters (tests, tools).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::SolverConfig& config, std::vector<at::Tensor> parameters);

/// Sets the LR of every parameter group.
void set_lr(torch::optim::Optimizer& optimizer, double lr);
/// Sets the LR of group `index`.
void set_group_lr(torch::optim::Optimizer& optimizer, size_t index, double lr);
/// The LR of the first parameter group.
double get_lr(const torch::optim::Optimizer& optimizer);

}  // namespace ssd::optim
