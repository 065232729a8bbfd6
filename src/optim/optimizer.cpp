#include "ssd/optim/optimizer.h"

#include <torch/optim/adagrad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include "ssd/optim/rule_optimizer.h"
#include "ssd/util/error.h"

namespace ssd::optim {

namespace o = torch::optim;

namespace {

bool is_rule_optimizer(const std::string& name) {
  return name == "adadelta" || name == "adamax" || name == "asgd" || name == "rprop" || name == "lion";
}

RuleOptions rule_options(const config::SolverConfig& c, double lr, double weight_decay) {
  RuleOptions r;
  r.lr = lr, r.weight_decay = weight_decay;
  if (c.optimizer == "adadelta") r.hyper = {{"rho", c.adadelta_rho}, {"eps", c.adadelta_eps}};
  else if (c.optimizer == "adamax") r.hyper = {{"beta1", c.betas[0]}, {"beta2", c.betas[1]}, {"eps", c.eps}};
  else if (c.optimizer == "asgd") r.hyper = {{"lambd", c.asgd_lambd}, {"alpha", c.asgd_alpha}, {"t0", c.asgd_t0}};
  else if (c.optimizer == "rprop")
    r.hyper = {{"eta_minus", c.rprop_etas[0]}, {"eta_plus", c.rprop_etas[1]}, {"step_min", c.rprop_step_sizes[0]},
               {"step_max", c.rprop_step_sizes[1]}};
  else if (c.optimizer == "lion") r.hyper = {{"beta1", c.lion_betas[0]}, {"beta2", c.lion_betas[1]}};
  return r;
}

std::unique_ptr<o::OptimizerOptions> options_for(const config::SolverConfig& c, double lr, double weight_decay) {
  if (c.optimizer == "sgd")
    return std::make_unique<o::SGDOptions>(o::SGDOptions(lr).momentum(c.momentum).nesterov(c.nesterov).weight_decay(weight_decay));
  if (c.optimizer == "adam")
    return std::make_unique<o::AdamOptions>(o::AdamOptions(lr).betas({c.betas[0], c.betas[1]}).eps(c.eps).weight_decay(weight_decay));
  if (c.optimizer == "adamw")
    return std::make_unique<o::AdamWOptions>(o::AdamWOptions(lr).betas({c.betas[0], c.betas[1]}).eps(c.eps).weight_decay(weight_decay));
  if (c.optimizer == "rmsprop")
    return std::make_unique<o::RMSpropOptions>(o::RMSpropOptions(lr).momentum(c.momentum).eps(c.eps).weight_decay(weight_decay));
  if (c.optimizer == "adagrad")
    return std::make_unique<o::AdagradOptions>(o::AdagradOptions(lr).eps(c.eps).weight_decay(weight_decay));
  if (is_rule_optimizer(c.optimizer)) return std::make_unique<RuleOptions>(rule_options(c, lr, weight_decay));
  throw ConfigError("solver.optimizer: unknown optimizer '" + c.optimizer + "'");
}

template <typename Optimizer, typename Options>
std::unique_ptr<o::Optimizer> build(std::vector<o::OptimizerParamGroup> groups, const o::OptimizerOptions& defaults) {
  return std::make_unique<Optimizer>(std::move(groups), static_cast<const Options&>(defaults));
}

}  // namespace

std::unique_ptr<o::Optimizer> make_optimizer(const config::SolverConfig& c, const std::vector<ParamGroup>& groups) {
  std::vector<o::OptimizerParamGroup> torch_groups;
  for (const auto& g : groups) torch_groups.emplace_back(g.params);
  const auto defaults = options_for(c, c.lr, c.weight_decay);
  std::unique_ptr<o::Optimizer> optimizer;
  if (c.optimizer == "sgd") optimizer = build<o::SGD, o::SGDOptions>(std::move(torch_groups), *defaults);
  else if (c.optimizer == "adam") optimizer = build<o::Adam, o::AdamOptions>(std::move(torch_groups), *defaults);
  else if (c.optimizer == "adamw") optimizer = build<o::AdamW, o::AdamWOptions>(std::move(torch_groups), *defaults);
  else if (c.optimizer == "rmsprop") optimizer = build<o::RMSprop, o::RMSpropOptions>(std::move(torch_groups), *defaults);
  else if (is_rule_optimizer(c.optimizer))
    optimizer = std::make_unique<RuleOptimizer>(std::move(torch_groups), rule_options(c, c.lr, c.weight_decay),
                                                c.optimizer, update_rule(c.optimizer));
  else optimizer = build<o::Adagrad, o::AdagradOptions>(std::move(torch_groups), *defaults);
  // Each group's own options are set after construction, not passed with the group: newer LibTorch (PyTorch PR
  // 161825, late 2025) merges a group's options with the optimizer's defaults when it adds the group, and takes the
  // default wherever the group's value equals the options class's own default (a bias group's weight decay of 0,
  // say), or, for an optimizer of its own like RuleOptimizer, every value. Set afterwards, they hold on every version.
  for (size_t i = 0; i < groups.size(); ++i)
    optimizer->param_groups().at(i).set_options(
        options_for(c, c.lr * groups[i].lr_mult, c.weight_decay * groups[i].weight_decay_mult));
  return optimizer;
}

std::unique_ptr<o::Optimizer> make_optimizer(const config::SolverConfig& c, std::vector<at::Tensor> parameters) {
  ParamGroup all;
  all.name = "default";
  all.params = std::move(parameters);
  return make_optimizer(c, std::vector<ParamGroup>{all});
}

void set_lr(o::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

void set_group_lr(o::Optimizer& optimizer, size_t index, double lr) { optimizer.param_groups().at(index).options().set_lr(lr); }

double get_lr(const o::Optimizer& optimizer) { return optimizer.param_groups().front().options().get_lr(); }

std::optional<double> base_momentum(const config::SolverConfig& c) {
  if (c.optimizer == "sgd" || c.optimizer == "rmsprop") return c.momentum;
  if (c.optimizer == "adam" || c.optimizer == "adamw") return c.betas[0];
  return std::nullopt;
}

void set_momentum(o::Optimizer& optimizer, double momentum) {
  for (auto& group : optimizer.param_groups()) {
    auto& options = group.options();
    if (auto* sgd = dynamic_cast<o::SGDOptions*>(&options)) sgd->momentum(momentum);
    else if (auto* rms = dynamic_cast<o::RMSpropOptions*>(&options)) rms->momentum(momentum);
    else if (auto* adam = dynamic_cast<o::AdamOptions*>(&options)) adam->betas({momentum, std::get<1>(adam->betas())});
    else if (auto* adamw = dynamic_cast<o::AdamWOptions*>(&options)) adamw->betas({momentum, std::get<1>(adamw->betas())});
  }
}

}  // namespace ssd::optim
