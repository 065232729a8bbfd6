// adadelta: torch.optim.Adadelta's rule (PyTorch 1.13), which LibTorch does not ship.
#include <ATen/ATen.h>

#include "ssd/optim/rule_optimizer.h"

namespace ssd::optim {

namespace {

// Its own keys: the rows below, in the entry.
struct Params {
  double rho = 0.9;
  double eps = 1e-6;
};

void update(at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
  const double rho = o.at("rho"), eps = o.at("eps");
  if (s.step == 1) s.buffers["square_avg"] = at::zeros_like(p), s.buffers["acc_delta"] = at::zeros_like(p);
  auto& sq = s.buffers["square_avg"];
  auto& acc = s.buffers["acc_delta"];
  sq.mul_(rho).addcmul_(g, g, 1 - rho);
  const auto delta = acc.add(eps).sqrt_().div_(sq.add(eps).sqrt_()).mul_(g);
  acc.mul_(rho).addcmul_(delta, delta, 1 - rho);
  p.add_(delta, -o.lr);
}

}  // namespace

OptimizerEntry adadelta_optimizer() {
  const char* name = "adadelta";
  const auto hyper = [name](const config::SolverConfig& c) -> std::map<std::string, double> {
    const auto& p = c.params.get<Params>(name);
    return {{"rho", p.rho}, {"eps", p.eps}};
  };
  auto e = rule_optimizer(name, "Adadelta (solver.adadelta_rho, solver.adadelta_eps); L2 weight decay", {update}, hyper);
  e.keys = {config::plugin_key(name, "solver.adadelta_rho", &Params::rho, config::in_range(0.0, 1.0), "optim::adadelta_optimizer",
                               "Adadelta: decay of the running averages of squared gradients and updates."),
            config::plugin_key(name, "solver.adadelta_eps", &Params::eps, config::positive(), "optim::adadelta_optimizer",
                               "Adadelta: epsilon (PyTorch's 1e-6).")};
  return e;
}

}  // namespace ssd::optim
