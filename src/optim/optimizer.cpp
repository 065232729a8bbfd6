#include "ssd/optim/optimizer.h"

#include "ssd/optim/registry.h"

namespace ssd::optim {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::SolverConfig& c, const std::vector<ParamGroup>& groups) {
  const auto& entry = optimizer_registry().get(c.optimizer);
  std::vector<torch::optim::OptimizerParamGroup> torch_groups;
  for (const auto& g : groups) torch_groups.emplace_back(g.params);
  auto optimizer = entry.make(std::move(torch_groups), c);
  // Each group's own options are set after construction, not passed with the group: newer LibTorch (PyTorch PR
  // 161825, late 2025) merges a group's options with the optimizer's defaults when it adds the group, and takes the
  // default wherever the group's value equals the options class's own default (a bias group's weight decay of 0,
  // say), or, for an optimizer of its own like RuleOptimizer, every value. Set afterwards, they hold on every version.
  for (size_t i = 0; i < groups.size(); ++i)
    optimizer->param_groups().at(i).set_options(entry.options(c, c.lr * groups[i].lr_mult, c.weight_decay * groups[i].weight_decay_mult));
  return optimizer;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::SolverConfig& c, std::vector<at::Tensor> parameters) {
  ParamGroup all;
  all.name = "default";
  all.params = std::move(parameters);
  return make_optimizer(c, std::vector<ParamGroup>{all});
}

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

void set_group_lr(torch::optim::Optimizer& optimizer, size_t index, double lr) { optimizer.param_groups().at(index).options().set_lr(lr); }

double get_lr(const torch::optim::Optimizer& optimizer) { return optimizer.param_groups().front().options().get_lr(); }

}  // namespace ssd::optim
