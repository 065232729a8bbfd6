#pragma once
// Optimizer from solver.*, and the one place that writes a learning rate into the optimizer.
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"

namespace ssd::optim {

/// sgd (momentum, Nesterov, weight decay), adam, adamw, rmsprop or adagrad, at LR0 = config.lr.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::SolverConfig& config, std::vector<at::Tensor> parameters);

/// Sets the LR of every parameter group (schedules compute it; this writes it).
void set_lr(torch::optim::Optimizer& optimizer, double lr);

/// The LR of the first parameter group.
double get_lr(const torch::optim::Optimizer& optimizer);

}  // namespace ssd::optim
