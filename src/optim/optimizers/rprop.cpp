// rprop: torch.optim.Rprop's rule (PyTorch 1.13), which LibTorch does not ship; solver.lr is the initial step size.
#include <ATen/ATen.h>

#include "ssd/optim/rule_optimizer.h"

namespace ssd::optim {

namespace {

// Its own keys: the rows below, in the entry.
struct Params {
  std::vector<double> etas = {0.5, 1.2};
  std::vector<double> step_sizes = {1e-6, 50.0};
};

void update(at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
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
}

}  // namespace

OptimizerEntry rprop_optimizer() {
  const char* name = "rprop";
  const char* consumer = "optim::rprop_optimizer";
  const auto hyper = [name](const config::SolverConfig& c) -> std::map<std::string, double> {
    const auto& p = c.params.get<Params>(name);
    return {{"eta_minus", p.etas[0]}, {"eta_plus", p.etas[1]}, {"step_min", p.step_sizes[0]}, {"step_max", p.step_sizes[1]}};
  };
  auto e = rule_optimizer(name, "Rprop (solver.rprop_etas, solver.rprop_step_sizes); full-batch by design", {update}, hyper);
  e.keys = {config::plugin_key(name, "solver.rprop_etas", &Params::etas, config::all_positive(2), consumer,
                               "Rprop: step-size factor after a sign change (< 1) and after the same sign (> 1)."),
            config::plugin_key(name, "solver.rprop_step_sizes", &Params::step_sizes, config::all_positive(2), consumer,
                               "Rprop: smallest and largest step size.")};
  return e;
}

}  // namespace ssd::optim
