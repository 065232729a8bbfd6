// The LR range test: its rules on a problem whose good LR interval is known, and the sweep on a real model
// leaving weights and optimizer state exactly as they were.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <torch/torch.h>

#include "ssd/builder/data.h"
#include "ssd/lr/schedules/cyclic.h"
#include "ssd/lr/schedules/one_cycle.h"
#include "ssd/range_test/runner.h"
#include "ssd/optim/optimizer.h"
#include "test_data.h"

namespace ssd::range_test {
namespace {

TEST(RangeTest, SweepEndpointsAndSpacing) {
  config::RangeTestConfig c;
  c.lr_min = 1e-6, c.lr_max = 1.0, c.iters = 7;
  const auto exp = sweep_lrs(c);
  ASSERT_EQ(exp.size(), 7u);
  for (size_t i = 0; i < exp.size(); ++i) EXPECT_NEAR(std::log10(exp[i]), -6.0 + static_cast<double>(i), 1e-12);
  c.sweep = "linear";
  EXPECT_NEAR(sweep_lrs(c)[3], 1e-6 + (1.0 - 1e-6) / 2, 1e-12);
}

TEST(RangeTest, SmoothingWithBiasCorrectionAndDivergenceStop) {
  config::RangeTestConfig c;
  c.iters = 50, c.beta = 0.9, c.diverge_factor = 4;
  int calls = 0;
  const auto r = run_range_test(c, [&](double) { return ++calls < 30 ? 1.0 : 100.0; });
  EXPECT_NEAR(r.smoothed[0], 1.0, 1e-12);  // bias correction: the first smoothed value is the first loss
  EXPECT_NEAR(r.smoothed[10], 1.0, 1e-12);
  EXPECT_LT(r.lrs.size(), 50u);
  EXPECT_NE(r.stop_reason.find("diverged"), std::string::npos);
  const auto nan = run_range_test(c, [&](double lr) { return lr > 1e-3 ? NAN : 1.0; });
  EXPECT_NE(nan.stop_reason.find("not finite"), std::string::npos);
  for (double l : nan.losses) EXPECT_TRUE(std::isfinite(l));
}

// Gradient descent on f(w) = 0.5 |w|^2 (curvature 1), with the loss read on a "mini-batch" (5% noise) and noisy
// gradients. The good LRs are those with which 100 plain steps cut the loss 100-fold: 0.023 < lr < 1.97.
double quadratic_step(std::vector<double>& w, double lr, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0.0, 1.0);
  double loss = 0;
  for (double& x : w) {
    loss += 0.5 * x * x;
    x -= lr * (x + 0.02 * noise(rng));
  }
  return loss * (1.0 + 0.05 * noise(rng));
}

TEST(RangeTest, PicksInsideTheKnownGoodIntervalOfAQuadratic) {
  config::RangeTestConfig c;
  c.lr_min = 1e-5, c.lr_max = 100.0, c.iters = 100;
  for (uint64_t seed : {1, 2, 3}) {
    std::vector<double> w(20, 3.0);
    std::mt19937_64 rng(seed);
    const auto s = suggest_lrs(run_range_test(c, [&](double lr) { return quadratic_step(w, lr, rng); }));
    ASSERT_EQ(s.all.size(), 3u);
    for (const auto& x : s.all) {
      EXPECT_GT(x.lr, 0.023) << x.rule;
      EXPECT_LT(x.lr, 1.97) << x.rule;
    }
    // And the recommendation does what a good LR does: 100 fixed-LR steps from the start cut the loss 100-fold.
    std::vector<double> fresh(20, 3.0);
    const double initial = 0.5 * 20 * 9.0;
    for (int i = 0; i < 100; ++i) quadratic_step(fresh, s.recommended.lr, rng);
    double final_loss = 0;
    for (double x : fresh) final_loss += 0.5 * x * x;
    EXPECT_LT(final_loss, initial / 100) << s.recommended.rule << " " << s.recommended.lr;
    // Without a race the recommendation is minimum/10, the rule closest to a grid's best on bench/lr_rules.py's cases.
    EXPECT_EQ(s.recommended.rule, "minimum/10");
    EXPECT_FALSE(s.reason.empty());
  }
}

TEST(RangeTest, TooShortASweepIsAClearError) {
  RangeTestResult r;
  r.lrs = {1e-3, 1e-2}, r.losses = r.smoothed = {1, 1};
  r.stop_reason = "diverged";
  EXPECT_THROW(suggest_lrs(r), std::runtime_error);
}

// The recommendation reaches the schedules' keys as the same double, however small (not rounded to six decimals).
TEST(RangeTest, TheRecommendationIsWrittenExactly) {
  config::Config c;
  c.schedule.name = "cyclic";
  for (double lr : {1.23456789e-5, 4e-7, 0.1}) {
    const auto cyclic = apply_suggestion(c, lr).schedule.params.get<lr::CyclicParams>("cyclic");
    EXPECT_EQ(cyclic.max_lr, lr);
    EXPECT_EQ(cyclic.base_lr, lr / 4);
  }
  c.schedule.name = "one_cycle";
  const auto tuned = apply_suggestion(c, 1.23456789e-5);
  EXPECT_EQ(tuned.solver.lr, 1.23456789e-5);
  EXPECT_EQ(tuned.schedule.params.get<lr::OneCycleParams>("one_cycle").max_lr, 1.23456789e-5);
}

TEST(RangeTest, SweepOnAModelRestoresWeightsAndOptimizerState) {
  const auto dir = test::temp_dir("range_test");
  auto c = test::tiny_config(test::make_shapes(dir, 8, 2), dir + "/run");
  c.range_test.iters = 20, c.range_test.lr_min = 1e-5, c.range_test.lr_max = 1.0;
  auto model = model::build_ssd(c.model, static_cast<int64_t>(c.data.classes.size()) + 1);
  const auto groups = optim::make_param_groups(model->named_parameters().pairs(), c.solver, false);
  auto optimizer = optim::make_optimizer(c.solver, groups);
  // One real step first, so that the optimizer has momentum buffers to restore.
  for (auto& p : model->parameters()) p.mutable_grad() = torch::ones_like(p);
  optimizer->step();
  std::vector<at::Tensor> weights;
  std::map<std::string, at::Tensor> momenta;  // keyed like the optimizer's state (its iteration order is not stable)
  for (const auto& p : model->parameters()) weights.push_back(p.detach().clone());
  for (const auto& [key, state] : optimizer->state())
    momenta[key] = static_cast<torch::optim::SGDParamState&>(*state).momentum_buffer().clone();
  const auto train = builder::train_set(c);
  const auto report = run(c, model, *optimizer, groups, *train, c10::Device(c10::kCPU), 2);
  ASSERT_EQ(report.sweeps.size(), 2u);
  EXPECT_FALSE(report.recommended.rule.empty());
  EXPECT_TRUE(std::filesystem::exists(report.png_path));
  size_t i = 0;
  for (const auto& p : model->parameters()) ASSERT_TRUE(torch::equal(p, weights[i++]));
  ASSERT_EQ(optimizer->state().size(), momenta.size());
  for (const auto& [key, state] : optimizer->state()) {
    ASSERT_EQ(momenta.count(key), 1u);
    ASSERT_TRUE(torch::equal(static_cast<torch::optim::SGDParamState&>(*state).momentum_buffer(), momenta.at(key)));
  }
  EXPECT_NEAR(optim::get_lr(*optimizer), c.solver.lr, 1e-15);
}

}  // namespace
}  // namespace ssd::range_test
