#pragma once
// Optimizer from solver.* over parameter groups, and the one place that writes a learning rate or a momentum
// into the optimizer (the LR controller computes them; these functions write them).
#include <memory>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/optim/param_groups.h"

namespace ssd::optim {

/// sgd (momentum, Nesterov, weight decay), adam, adamw, rmsprop, adagrad (LibTorch), adadelta, adamax, asgd,
/// rprop, lion (optim/rule_optimizer.h); each group at LR0 x lr_mult and
/// weight_decay x weight_decay_mult.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::SolverConfig& config, const std::vector<ParamGroup>& groups);

/// One group of all parameters (tests, tools).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::SolverConfig& config, std::vector<at::Tensor> parameters);

/// Sets the LR of every parameter group.
void set_lr(torch::optim::Optimizer& optimizer, double lr);
/// Sets the LR of group `index`.
void set_group_lr(torch::optim::Optimizer& optimizer, size_t index, double lr);
/// The LR of the first parameter group.
double get_lr(const torch::optim::Optimizer& optimizer);

/// The momentum a schedule may move: SGD / RMSprop momentum, Adam / AdamW beta1; none for the others.
std::optional<double> base_momentum(const config::SolverConfig& config);
/// Writes `momentum` into every group (SGD / RMSprop momentum, Adam / AdamW beta1).
void set_momentum(torch::optim::Optimizer& optimizer, double momentum);

}  // namespace ssd::optim
