#pragma once
// Optimizers LibTorch 1.13 does not ship (Adadelta, Adamax, ASGD, Rprop, Lion), each an update rule on one
// parameter tensor with named state buffers, written in its own file (optim/optimizers/<name>.cpp). Update rules as in
// PyTorch 1.13 (Lion: Chen et al. 2023); tests/optim/optimizer_test.cpp checks each against torch.optim on a
// quadratic (Lion against its paper's rule).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>

#include "ssd/optim/registry.h"

namespace ssd::optim {

struct RuleOptions : torch::optim::OptimizerCloneableOptions<RuleOptions> {
  double lr = 1e-3;
  double weight_decay = 0.0;
  std::map<std::string, double> hyper;  ///< the rule's own parameters (rho, betas, lambd, ...)
  double get_lr() const override { return lr; }
  void set_lr(const double value) override { lr = value; }
  double at(const std::string& name) const { return hyper.at(name); }
};

struct RuleState : torch::optim::OptimizerCloneableParamState<RuleState> {
  int64_t step = 0;
  std::map<std::string, at::Tensor> buffers;
  std::map<std::string, double> scalars;  ///< per-parameter scalars (ASGD's eta and mu)
};

/// update(param, grad, state, options): changes param in place (no autograd) and the state; state.step is
/// already incremented when it runs, and grad already holds the L2 term unless the rule decays decoupled.
using UpdateFn = std::function<void(at::Tensor& param, const at::Tensor& grad, RuleState& state, const RuleOptions& options)>;

struct UpdateRule {
  UpdateFn update;
  /// true: the rule applies weight decay itself, to the weights (Lion, like AdamW); false: weight_decay x param
  /// is added to the gradient first (L2, as torch.optim's Adadelta, Adamax, ASGD).
  bool decoupled_decay = false;
};

class RuleOptimizer : public torch::optim::Optimizer {
 public:
  RuleOptimizer(std::vector<torch::optim::OptimizerParamGroup> groups, RuleOptions defaults, std::string name, UpdateRule rule);
  at::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  UpdateRule rule_;
};

/// The registry entry of the rule optimizer `name` (the name is checked when a checkpoint's state is loaded into it):
/// each group's options are its LR and weight decay and the rule's parameters, which `hyper` reads from solver.*.
OptimizerEntry rule_optimizer(std::string name, std::string description, UpdateRule rule,
                              std::function<std::map<std::string, double>(const config::SolverConfig&)> hyper);

}  // namespace ssd::optim
