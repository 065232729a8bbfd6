// lion: the update of Chen et al. 2023 ("Symbolic Discovery of Optimization Algorithms"), sign of an interpolated
// momentum, with decoupled weight decay.
#include <ATen/ATen.h>

#include "ssd/optim/rule_optimizer.h"

namespace ssd::optim {

namespace {

// Its own keys: the rows below, in the entry.
struct Params {
  std::vector<double> betas = {0.9, 0.99};
};

void update(at::Tensor& p, const at::Tensor& g, RuleState& s, const RuleOptions& o) {
  const double b1 = o.at("beta1"), b2 = o.at("beta2");
  if (s.step == 1) s.buffers["exp_avg"] = at::zeros_like(p);
  auto& m = s.buffers["exp_avg"];
  const auto direction = m.mul(b1).add_(g, 1 - b1).sign_();
  p.mul_(1 - o.lr * o.weight_decay);  // decoupled decay, as the paper
  p.add_(direction, -o.lr);
  m.mul_(b2).add_(g, 1 - b2);
}

}  // namespace

OptimizerEntry lion_optimizer() {
  const char* name = "lion";
  const auto hyper = [name](const config::SolverConfig& c) -> std::map<std::string, double> {
    const auto& p = c.params.get<Params>(name);
    return {{"beta1", p.betas[0]}, {"beta2", p.betas[1]}};
  };
  auto e = rule_optimizer(name, "Lion (solver.lion_betas); decoupled weight decay; an LR 3-10x below AdamW's", {update, /*decoupled_decay=*/true}, hyper);
  e.keys = {config::plugin_key(name, "solver.lion_betas", &Params::betas, config::unit_interval_list(2), "optim::lion_optimizer",
                               "Lion: beta1 (the update's interpolation) and beta2 (the momentum); use an LR 3-10x below AdamW's.")};
  return e;
}

}  // namespace ssd::optim
