#pragma once
// The builder layer (builder/model.h says what it is): parameter groups, the optimizer and the LR controller.
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/lr/controller.h"
#include "ssd/model/ssd.h"
#include "ssd/optim/param_groups.h"

namespace ssd::builder {

/// The model's trainable parameters in solver.groups' groups; split_biases: unmatched biases in a group of their own
/// (the bias-LR warm-up, schedule.warmup.bias_lr, needs it).
std::vector<optim::ParamGroup> param_groups(const config::Config& config, model::SsdImpl& model, bool split_biases);

/// solver.optimizer over the groups (optim/registry.h).
std::unique_ptr<torch::optim::Optimizer> optimizer(const config::Config& config, const std::vector<optim::ParamGroup>& groups);

/// What the LR controller knows of each group.
std::vector<lr::GroupInfo> group_infos(const std::vector<optim::ParamGroup>& groups);

/// schedule.* over a run of total_iters iterations of iters_per_epoch, with LR0 scaled for global_batch
/// (train.lr_scaling) and the optimizer's momentum (solver.optimizer's entry) for the schedules that move it.
std::unique_ptr<lr::LrController> lr_controller(const config::Config& config, int64_t iters_per_epoch, int64_t total_iters,
                                                int64_t global_batch, std::vector<lr::GroupInfo> groups = {});

}  // namespace ssd::builder
