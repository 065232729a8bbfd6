#include "ssd/optim/optimizer.h"

#include <torch/optim/adagrad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include "ssd/util/error.h"

namespace ssd::optim {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::SolverConfig& c, std::vector<at::Tensor> params) {
  namespace o = torch::optim;
  if (c.optimizer == "sgd")
    return std::make_unique<o::SGD>(params, o::SGDOptions(c.lr).momentum(c.momentum).nesterov(c.nesterov).weight_decay(c.weight_decay));
  if (c.optimizer == "adam")
    return std::make_unique<o::Adam>(params, o::AdamOptions(c.lr).betas({c.betas[0], c.betas[1]}).eps(c.eps).weight_decay(c.weight_decay));
  if (c.optimizer == "adamw")
    return std::make_unique<o::AdamW>(params, o::AdamWOptions(c.lr).betas({c.betas[0], c.betas[1]}).eps(c.eps).weight_decay(c.weight_decay));
  if (c.optimizer == "rmsprop")
    return std::make_unique<o::RMSprop>(params, o::RMSpropOptions(c.lr).momentum(c.momentum).eps(c.eps).weight_decay(c.weight_decay));
  if (c.optimizer == "adagrad")
    return std::make_unique<o::Adagrad>(params, o::AdagradOptions(c.lr).eps(c.eps).weight_decay(c.weight_decay));
  throw ConfigError("solver.optimizer: unknown optimizer '" + c.optimizer + "'");
}

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

double get_lr(const torch::optim::Optimizer& optimizer) { return optimizer.param_groups().front().options().get_lr(); }

}  // namespace ssd::optim
