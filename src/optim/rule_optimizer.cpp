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

UpdateRule update_rule(const std::string& name) {
  if (name == "adadelta")
    return {[](at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
      const double rho = o.at("rho"), eps = o.at("eps");
      if (s.step == 1) s.buffers["square_avg"] = at::zeros_like(p), s.buffers["acc_delta"] = at::zeros_like(p);
      auto& sq = s.buffers["square_avg"];
      auto& acc = s.buffers["acc_delta"];
      sq.mul_(rho).addcmul_(g, g, 1 - rho);
      const auto delta = acc.add(eps).sqrt_().div_(sq.add(eps).sqrt_()).mul_(g);
      acc.mul_(rho).addcmul_(delta, delta, 1 - rho);
      p.add_(delta, -o.lr);
    }};
  if (name == "adamax")
    return {[](at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
      const double b1 = o.at("beta1"), b2 = o.at("beta2"), eps = o.at("eps");
      if (s.step == 1) s.buffers["exp_avg"] = at::zeros_like(p), s.buffers["exp_inf"] = at::zeros_like(p);
      auto& m = s.buffers["exp_avg"];
      auto& u = s.buffers["exp_inf"];
      m.mul_(b1).add_(g, 1 - b1);
      u.copy_(at::maximum(u.mul(b2), g.abs().add_(eps)));
      const double clr = o.lr / (1 - std::pow(b1, static_cast<double>(s.step)));
      p.addcdiv_(m, u, -clr);
    }};
  if (name == "asgd")
    return {[](at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
      const double lambd = o.at("lambd"), alpha = o.at("alpha"), t0 = o.at("t0");
      // PyTorch 1.13 keeps eta and mu in float32 tensors; rounding them the same way keeps the two in step.
      auto as_float = [](double v) { return static_cast<double>(static_cast<float>(v)); };
      if (s.step == 1) s.buffers["ax"] = at::zeros_like(p), s.scalars["eta"] = as_float(o.lr), s.scalars["mu"] = 1.0;
      const double eta = s.scalars["eta"], mu = s.scalars["mu"];
      p.mul_(1 - lambd * eta);
      p.add_(g, -eta);
      auto& ax = s.buffers["ax"];
      if (mu != 1) ax.add_(p.sub(ax).mul(mu));
      else ax.copy_(p);
      const double step = static_cast<double>(s.step);
      s.scalars["eta"] = as_float(o.lr / std::pow(1 + lambd * o.lr * step, alpha));
      s.scalars["mu"] = as_float(1.0 / std::max(1.0, step - t0));
    }};
  if (name == "rprop")
    return {[](at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
      const double eta_minus = o.at("eta_minus"), eta_plus = o.at("eta_plus");
      if (s.step == 1) s.buffers["prev"] = at::zeros_like(p), s.buffers["step_size"] = at::full_like(g, o.lr);
      auto& prev = s.buffers["prev"];
      auto& size = s.buffers["step_size"];
      auto sign = g.mul(prev).sign();
      sign.masked_fill_(sign.gt(0), eta_plus).masked_fill_(sign.lt(0), eta_minus).masked_fill_(sign.eq(0), 1);
      size.mul_(sign).clamp_(o.at("step_min"), o.at("step_max"));
      auto grad = g.clone();
      grad.masked_fill_(sign.eq(eta_minus), 0);  // after a sign change: no step, and no memory of that gradient
      p.addcmul_(grad.sign(), size, -1);
      prev.copy_(grad);
    }};
  if (name == "lion")
    return {[](at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
      const double b1 = o.at("beta1"), b2 = o.at("beta2");
      if (s.step == 1) s.buffers["exp_avg"] = at::zeros_like(p);
      auto& m = s.buffers["exp_avg"];
      const auto update = m.mul(b1).add_(g, 1 - b1).sign_();
      p.mul_(1 - o.lr * o.weight_decay);  // decoupled decay, as the paper
      p.add_(update, -o.lr);
      m.mul_(b2).add_(g, 1 - b2);
    }, /*decoupled_decay=*/true};
  throw ConfigError("solver.optimizer: no update rule named '" + name + "'");
}

}  // namespace ssd::optim
