// asgd: torch.optim.ASGD's rule (PyTorch 1.13), which LibTorch does not ship.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "ssd/optim/rule_optimizer.h"

namespace ssd::optim {

namespace {

// Its own keys: the rows below, in the entry.
struct Params {
  double lambd = 1e-4;
  double alpha = 0.75;
  double t0 = 1e6;
};

void update(at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
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
}

}  // namespace

OptimizerEntry asgd_optimizer() {
  const char* name = "asgd";
  const char* consumer = "optim::asgd_optimizer";
  const auto hyper = [name](const config::SolverConfig& c) -> std::map<std::string, double> {
    const auto& p = c.params.get<Params>(name);
    return {{"lambd", p.lambd}, {"alpha", p.alpha}, {"t0", p.t0}};
  };
  auto e = rule_optimizer(name, "averaged SGD (solver.asgd_lambd, solver.asgd_alpha, solver.asgd_t0); L2 weight decay", {update}, hyper);
  e.keys = {config::plugin_key(name, "solver.asgd_lambd", &Params::lambd, config::at_least(0.0), consumer, "ASGD: decay term."),
            config::plugin_key(name, "solver.asgd_alpha", &Params::alpha, config::at_least(0.0), consumer, "ASGD: power of the eta update."),
            config::plugin_key(name, "solver.asgd_t0", &Params::t0, config::at_least(0.0), consumer,
                               "ASGD: step from which the average is taken.")};
  return e;
}

}  // namespace ssd::optim
