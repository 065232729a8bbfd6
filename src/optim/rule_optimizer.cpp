#include "ssd/optim/rule_optimizer.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/serialize/archive.h>

#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "ssd/util/error.h"

namespace ssd::optim {

namespace {
// The key of Optimizer's state map: LibTorch 1.x takes the parameter's TensorImpl address written as a string,
// 2.x the address itself. The map's own key type says which.
using StateKey = std::decay_t<decltype(std::declval<const torch::optim::Optimizer&>().state())>::key_type;
template <typename Key = StateKey>  // a template, so that the branch this LibTorch does not take is not compiled
Key key_of(const at::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream os;
    os << p.unsafeGetTensorImpl();
    return os.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}
}  // namespace

RuleOptimizer::RuleOptimizer(std::vector<torch::optim::OptimizerParamGroup> groups, RuleOptions defaults, std::string name, UpdateRule rule)
    : torch::optim::Optimizer(std::move(groups), std::make_unique<RuleOptions>(std::move(defaults))), name_(std::move(name)),
      rule_(std::move(rule)) {}

at::Tensor RuleOptimizer::step(LossClosure closure) {
  at::NoGradGuard no_grad;
  at::Tensor loss;
  if (closure) {
    at::AutoGradMode enable(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const RuleOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto& slot = state_[key_of(p)];
      if (!slot) slot = std::make_unique<RuleState>();
      auto& s = static_cast<RuleState&>(*slot);
      ++s.step;
      at::Tensor grad = p.grad();
      if (options.weight_decay != 0 && !rule_.decoupled_decay) grad = grad.add(p, options.weight_decay);
      rule_.update(p, grad, s, options);
    }
  }
  return loss;
}

void RuleOptimizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("rule/name", c10::IValue(name_));
  int64_t k = 0;
  for (const auto& group : param_groups_)
    for (const auto& p : group.params()) {
      const std::string prefix = "rule/" + std::to_string(k++) + "/";
      const auto it = state_.find(key_of(p));
      if (it == state_.end()) continue;
      const auto& s = static_cast<const RuleState&>(*it->second);
      archive.write(prefix + "step", at::tensor(s.step));
      std::string names, scalars;
      for (const auto& [name, t] : s.buffers) {
        names += name + " ";
        archive.write(prefix + "buffer/" + name, t, /*is_buffer=*/true);
      }
      std::ostringstream sc;
      sc.precision(17);
      for (const auto& [name, v] : s.scalars) sc << name << " " << v << " ";
      archive.write(prefix + "names", c10::IValue(names));
      archive.write(prefix + "scalars", c10::IValue(sc.str()));
    }
}

void RuleOptimizer::load(torch::serialize::InputArchive& archive) {
  c10::IValue stored;
  if (!archive.try_read("rule/name", stored) || stored.toStringRef() != name_)
    throw CheckpointError("the checkpoint's optimizer state is not " + name_ + " state (solver.optimizer differs?)");
  int64_t k = 0;
  for (auto& group : param_groups_)
    for (auto& p : group.params()) {
      const std::string prefix = "rule/" + std::to_string(k++) + "/";
      at::Tensor step;
      if (!archive.try_read(prefix + "step", step)) continue;
      auto s = std::make_unique<RuleState>();
      s->step = step.item<int64_t>();
      c10::IValue names, scalars;
      archive.read(prefix + "names", names);
      archive.read(prefix + "scalars", scalars);
      std::istringstream in(names.toStringRef());
      for (std::string name; in >> name;) {
        at::Tensor t;
        archive.read(prefix + "buffer/" + name, t, /*is_buffer=*/true);
        s->buffers[name] = t.to(p.device());
      }
      std::istringstream sin(scalars.toStringRef());
      std::string name;
      double v;
      while (sin >> name >> v) s->scalars[name] = v;
      state_[key_of(p)] = std::move(s);
    }
}

OptimizerEntry rule_optimizer(std::string name, std::string description, UpdateRule rule,
                              std::function<std::map<std::string, double>(const config::SolverConfig&)> hyper) {
  OptimizerEntry e;
  e.name = name;
  e.description = std::move(description);
  e.options = [hyper](const config::SolverConfig& c, double lr, double weight_decay) -> std::unique_ptr<torch::optim::OptimizerOptions> {
    auto options = std::make_unique<RuleOptions>();
    options->lr = lr, options->weight_decay = weight_decay, options->hyper = hyper(c);
    return options;
  };
  e.make = [name, rule, options = e.options](std::vector<torch::optim::OptimizerParamGroup> groups,
                                             const config::SolverConfig& c) -> std::unique_ptr<torch::optim::Optimizer> {
    const auto defaults = options(c, c.lr, c.weight_decay);
    return std::make_unique<RuleOptimizer>(std::move(groups), static_cast<const RuleOptions&>(*defaults), name, rule);
  };
  return e;
}

}  // namespace ssd::optim
