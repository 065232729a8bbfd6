// adamax: torch.optim.Adamax's rule (PyTorch 1.13), which LibTorch does not ship; solver.betas and solver.eps.
#include <ATen/ATen.h>

#include <cmath>

#include "ssd/optim/rule_optimizer.h"

namespace ssd::optim {

namespace {

void update(at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
  const double b1 = o.at("beta1"), b2 = o.at("beta2"), eps = o.at("eps");
  if (s.step == 1) s.buffers["exp_avg"] = at::zeros_like(p), s.buffers["exp_inf"] = at::zeros_like(p);
  auto& m = s.buffers["exp_avg"];
  auto& u = s.buffers["exp_inf"];
  m.mul_(b1).add_(g, 1 - b1);
  u.copy_(at::maximum(u.mul(b2), g.abs().add_(eps)));
  const double clr = o.lr / (1 - std::pow(b1, static_cast<double>(s.step)));
  p.addcdiv_(m, u, -clr);
}

}  // namespace

OptimizerEntry adamax_optimizer() {
  const auto hyper = [](const config::SolverConfig& c) -> std::map<std::string, double> {
    return {{"beta1", c.betas[0]}, {"beta2", c.betas[1]}, {"eps", c.eps}};
  };
  return rule_optimizer("adamax", "Adamax (Adam with the infinity norm) with solver.betas and solver.eps; L2 weight decay", {update}, hyper);
}

}  // namespace ssd::optim
