#include "ssd/optim/param_groups.h"

#include <spdlog/spdlog.h>

#include <regex>
#include <sstream>

namespace ssd::optim {

namespace {
bool is_bias(const std::string& name) { return name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0; }
}  // namespace

std::vector<ParamGroup> make_param_groups(const std::vector<std::pair<std::string, at::Tensor>>& named_parameters,
                                          const config::SolverConfig& solver, bool split_biases) {
  std::vector<ParamGroup> groups(2 + solver.groups.size());
  groups[0].name = "default";
  groups[1].name = "bias";
  groups[1].bias = true;
  std::vector<std::regex> patterns;
  for (size_t i = 0; i < solver.groups.size(); ++i) {
    const auto& rule = solver.groups[i];
    patterns.emplace_back(rule.match);
    groups[2 + i].name = rule.match;
    groups[2 + i].lr_mult = rule.lr_mult;
    groups[2 + i].weight_decay_mult = rule.weight_decay_mult;
  }
  for (const auto& [name, param] : named_parameters) {
    if (!param.requires_grad()) continue;
    size_t target = split_biases && is_bias(name) ? 1 : 0;
    for (size_t i = 0; i < patterns.size(); ++i)
      if (std::regex_search(name, patterns[i])) {
        target = 2 + i;
        break;
      }
    groups[target].names.push_back(name);
    groups[target].params.push_back(param);
  }
  std::vector<ParamGroup> out;
  for (size_t i = 0; i < groups.size(); ++i) {
    auto& g = groups[i];
    if (i >= 2) g.bias = !g.names.empty() && std::all_of(g.names.begin(), g.names.end(), is_bias);
    if (!g.params.empty()) out.push_back(std::move(g));
    else if (i >= 2) spdlog::warn("solver.groups: pattern '{}' matches no trainable parameter (ssd-train --list-params shows the names)", g.name);
  }
  return out;
}

std::string describe_groups(const std::vector<ParamGroup>& groups) {
  std::ostringstream os;
  for (size_t i = 0; i < groups.size(); ++i) {
    int64_t count = 0;
    for (const auto& p : groups[i].params) count += p.numel();
    os << (i ? "; " : "") << groups[i].name << ": " << groups[i].params.size() << " tensors, " << count << " values, lr x"
       << groups[i].lr_mult << ", weight decay x" << groups[i].weight_decay_mult;
  }
  return os.str();
}

}  // namespace ssd::optim
