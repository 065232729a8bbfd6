// Every optimizer against torch.optim (tests/golden/optimizers.json) on a quadratic, Lion against its paper's update
// written out here; parameter groups and state save / load.
#include <gtest/gtest.h>

#include <cmath>
#include <torch/torch.h>

#include "ssd/config/load.h"
#include "ssd/optim/optimizer.h"
#include "ssd/optim/param_groups.h"
#include "ssd/optim/rule_optimizer.h"
#include "test_support.h"

namespace ssd::optim {
namespace {

// 0.5 * sum(a_i w_i^2): one step of `optimizer` on w.
void quadratic_step(torch::optim::Optimizer& optimizer, at::Tensor& w, const at::Tensor& a) {
  optimizer.zero_grad();
  (0.5 * (a * w * w).sum()).backward();
  optimizer.step();
}

TEST(Optimizers, MatchTorchOptimOnAQuadratic) {
  const auto golden = test::golden("optimizers.json");
  ASSERT_EQ(golden["cases"].size(), 9u);  // every optimizer of the registry but lion (no torch.optim one)
  for (const auto& c : golden["cases"]) {
    const std::string name = c["name"];
    const auto cfg = config::load_config_text(c["yaml"].get<std::string>(), "test.yaml");
    auto w = torch::tensor(c["w0"].get<std::vector<double>>(), torch::kFloat64).requires_grad_();
    const auto a = torch::tensor(c["a"].get<std::vector<double>>(), torch::kFloat64);
    auto optimizer = make_optimizer(cfg.solver, std::vector<at::Tensor>{w});
    for (size_t step = 0; step < c["w"].size(); ++step) {
      quadratic_step(*optimizer, w, a);
      const auto expected = c["w"][step].get<std::vector<double>>();
      for (size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(w[static_cast<int64_t>(i)].item<double>(), expected[i], 1e-9 + 1e-8 * std::abs(expected[i]))
            << name << " step " << step + 1 << " w[" << i << "]";
    }
  }
}

TEST(Optimizers, LionFollowsThePaperUpdate) {
  const auto cfg = config::load_config_text("solver: {optimizer: lion, lr: 0.01, weight_decay: 0.1, lion_betas: [0.9, 0.99]}", "t");
  auto w = torch::tensor({1.0, -2.0, 3.0}, torch::kFloat64).requires_grad_();
  const auto a = torch::tensor({1.0, 4.0, 0.25}, torch::kFloat64);
  auto optimizer = make_optimizer(cfg.solver, std::vector<at::Tensor>{w});
  std::vector<double> x = {1.0, -2.0, 3.0}, m = {0, 0, 0}, k = {1.0, 4.0, 0.25};
  for (int step = 0; step < 30; ++step) {
    quadratic_step(*optimizer, w, a);
    for (size_t i = 0; i < 3; ++i) {  // c = b1 m + (1 - b1) g; x -= lr (sign(c) + wd x); m = b2 m + (1 - b2) g
      const double g = k[i] * x[i], c = 0.9 * m[i] + 0.1 * g;
      x[i] = x[i] * (1 - 0.01 * 0.1) - 0.01 * ((c > 0) - (c < 0));
      m[i] = 0.99 * m[i] + 0.01 * g;
      EXPECT_NEAR(w[static_cast<int64_t>(i)].item<double>(), x[i], 1e-12) << "step " << step + 1;
    }
  }
}

TEST(Optimizers, RuleOptimizerStateSurvivesSaveAndLoad) {
  for (const std::string name : {"adadelta", "adamax", "asgd", "rprop", "lion"}) {
    const auto cfg = config::load_config_text("solver: {optimizer: " + name + ", lr: 0.01}", "t");
    const auto a = torch::tensor({1.0, 4.0, 0.25}, torch::kFloat64);
    auto w1 = torch::tensor({1.0, -2.0, 3.0}, torch::kFloat64).requires_grad_();
    auto straight = make_optimizer(cfg.solver, std::vector<at::Tensor>{w1});
    for (int i = 0; i < 5; ++i) quadratic_step(*straight, w1, a);
    torch::serialize::OutputArchive out;
    straight->save(out);
    std::ostringstream bytes;
    out.save_to(bytes);
    auto w2 = w1.detach().clone().requires_grad_();
    auto resumed = make_optimizer(cfg.solver, std::vector<at::Tensor>{w2});
    torch::serialize::InputArchive in;
    std::istringstream stream(bytes.str());
    in.load_from(stream);
    resumed->load(in);
    for (int i = 0; i < 5; ++i) {
      quadratic_step(*straight, w1, a);
      quadratic_step(*resumed, w2, a);
    }
    EXPECT_TRUE(torch::equal(w1, w2)) << name;
  }
}

TEST(ParamGroups, FirstMatchingRuleWinsAndEachGroupGetsItsOptions) {
  const auto cfg = config::load_config_text(
      "solver: {lr: 0.1, weight_decay: 0.001, groups: [{match: '^head', lr_mult: 0.5}, {match: 'bias$', lr_mult: 2, weight_decay_mult: 0}]}",
      "t");
  const std::vector<std::pair<std::string, at::Tensor>> named = {
      {"backbone.conv.weight", torch::zeros({2}, torch::requires_grad())},
      {"backbone.conv.bias", torch::zeros({2}, torch::requires_grad())},
      {"head.conf.bias", torch::zeros({2}, torch::requires_grad())},
      {"frozen.weight", torch::zeros({2})}};
  const auto groups = make_param_groups(named, cfg.solver, false);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].names, std::vector<std::string>{"backbone.conv.weight"});
  EXPECT_EQ(groups[1].names, std::vector<std::string>{"head.conf.bias"});  // '^head' comes first
  EXPECT_EQ(groups[2].names, std::vector<std::string>{"backbone.conv.bias"});
  EXPECT_TRUE(groups[2].bias);
  auto optimizer = make_optimizer(cfg.solver, groups);
  const auto& options = static_cast<const torch::optim::SGDOptions&>(optimizer->param_groups()[2].options());
  EXPECT_DOUBLE_EQ(options.lr(), 0.2);
  EXPECT_DOUBLE_EQ(options.weight_decay(), 0.0);
  const auto split = make_param_groups(named, config::SolverConfig{}, true);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[1].name, "bias");
}

// The optimizers of our own (RuleOptimizer) keep each group's options too: newer LibTorch replaces a group's
// options with the defaults when the optimizer adds it, so make_optimizer sets them after construction.
TEST(ParamGroups, RuleOptimizersKeepEachGroupsOptions) {
  const auto cfg = config::load_config_text(
      "solver: {optimizer: lion, lr: 0.1, weight_decay: 0.001, lion_betas: [0.8, 0.95], groups: [{match: 'bias$', lr_mult: 2, weight_decay_mult: 0}]}",
      "t");
  const std::vector<std::pair<std::string, at::Tensor>> named = {
      {"conv.weight", torch::zeros({2}, torch::requires_grad())}, {"conv.bias", torch::zeros({2}, torch::requires_grad())}};
  const auto groups = make_param_groups(named, cfg.solver, false);
  ASSERT_EQ(groups.size(), 2u);
  auto optimizer = make_optimizer(cfg.solver, groups);
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& options = static_cast<const RuleOptions&>(optimizer->param_groups()[i].options());
    EXPECT_DOUBLE_EQ(options.lr, groups[i].bias ? 0.2 : 0.1) << groups[i].name;
    EXPECT_DOUBLE_EQ(options.weight_decay, groups[i].bias ? 0.0 : 0.001) << groups[i].name;
    EXPECT_DOUBLE_EQ(options.at("beta1"), 0.8) << groups[i].name;  // solver.lion_betas, lion's own key
  }
}

}  // namespace
}  // namespace ssd::optim
