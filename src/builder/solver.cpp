#include "ssd/builder/solver.h"

#include "ssd/lr/batch_scaling.h"
#include "ssd/optim/optimizer.h"
#include "ssd/optim/registry.h"

namespace ssd::builder {

std::vector<optim::ParamGroup> param_groups(const config::Config& c, model::SsdImpl& model, bool split_biases) {
  return optim::make_param_groups(model.named_parameters().pairs(), c.solver, split_biases);
}

std::unique_ptr<torch::optim::Optimizer> optimizer(const config::Config& c, const std::vector<optim::ParamGroup>& groups) {
  return optim::make_optimizer(c.solver, groups);
}

std::vector<lr::GroupInfo> group_infos(const std::vector<optim::ParamGroup>& groups) {
  std::vector<lr::GroupInfo> infos;
  for (const auto& g : groups) infos.push_back({g.name, g.lr_mult, g.bias});
  return infos;
}

std::unique_ptr<lr::LrController> lr_controller(const config::Config& c, int64_t iters_per_epoch, int64_t total_iters,
                                                int64_t global_batch, std::vector<lr::GroupInfo> groups) {
  lr::LrPlan plan;
  plan.iters_per_epoch = iters_per_epoch;
  plan.total_iters = total_iters;
  plan.base_lr = lr::scaled_base_lr(c.solver.lr, c.train.lr_scaling, c.train.reference_batch, global_batch, &plan.base_lr_line);
  const auto& optimizer = optim::optimizer_registry().get(c.solver.optimizer);
  if (optimizer.momentum) plan.base_momentum = optimizer.momentum(c.solver);
  plan.set_momentum = optimizer.set_momentum;
  plan.groups = std::move(groups);
  return std::make_unique<lr::LrController>(c.schedule, std::move(plan));
}

}  // namespace ssd::builder
