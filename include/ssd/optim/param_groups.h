#pragma once
// Parameter groups from solver.groups: each parameter joins the first rule whose regex matches its name
// (e.g. "bias$" -> lr x2, no weight decay: the original Caffe SSD recipe), else the default group.
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/config/config.h"

namespace ssd::optim {

struct ParamGroup {
  std::string name;  ///< "default", "bias" (split for the bias warm-up), or the rule's pattern
  double lr_mult = 1.0;
  double weight_decay_mult = 1.0;
  bool bias = false;  ///< every parameter in it is a bias (the bias-LR warm-up applies)
  std::vector<std::string> names;
  std::vector<at::Tensor> params;
};

/// Groups of the trainable parameters, the default group first; empty groups are left out (a rule that matches
/// nothing is logged as a warning). split_biases: unmatched biases get a group of their own (bias warm-up).
std::vector<ParamGroup> make_param_groups(const std::vector<std::pair<std::string, at::Tensor>>& named_parameters,
                                          const config::SolverConfig& solver, bool split_biases);

/// One line per group: name, size, LR and weight-decay multipliers.
std::string describe_groups(const std::vector<ParamGroup>& groups);

}  // namespace ssd::optim
