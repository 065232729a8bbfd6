// The tuner: the search space file, and successive halving on a tiny problem where a clearly bad LR0 must rank
// below the good ones; resuming reuses every finished trial.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ssd/tune/tuner.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::tune {
namespace {

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  const auto path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(SearchSpace, ParsesDistributionsAndSamplesReproducibly) {
  const auto dir = test::temp_dir("space");
  const auto path = write_file(dir, "s.yaml",
                               "trials: 5\neta: 2\nspace:\n  solver.lr: loguniform(1e-4, 1e-2)\n  schedule.warmup.iters: int(0, 300)\n"
                               "  schedule.name: choice([multistep, cosine])\n  solver.momentum: uniform(0.8, 0.95)\n");
  const auto s = load_search_space(path);
  ASSERT_EQ(s.params.size(), 4u);
  std::mt19937_64 a(3), b(3);
  for (int i = 0; i < 50; ++i)
    for (const auto& d : s.params) {
      const auto x = d.sample(a);
      EXPECT_EQ(x, d.sample(b));
      if (d.kind == "loguniform") {
        EXPECT_GE(std::stod(x), 1e-4);
        EXPECT_LE(std::stod(x), 1e-2);
      }
      if (d.kind == "choice") {
        EXPECT_TRUE(x == "multistep" || x == "cosine");
      }
    }
}

TEST(SearchSpace, MistakesNameTheFileLineAndKey) {
  const auto dir = test::temp_dir("space_bad");
  auto message = test::thrown_message<ConfigError>(
      [&] { load_search_space(write_file(dir, "a.yaml", "space:\n  solver.lrr: loguniform(1e-4, 1e-2)\n")); });
  EXPECT_NE(message.find("a.yaml:2"), std::string::npos) << message;
  EXPECT_NE(message.find("solver.lr"), std::string::npos) << message;
  message = test::thrown_message<ConfigError>([&] { load_search_space(write_file(dir, "b.yaml", "space:\n  solver.lr: gauss(1, 2)\n")); });
  EXPECT_NE(message.find("loguniform(lo, hi)"), std::string::npos) << message;
  message = test::thrown_message<ConfigError>([&] { load_search_space(write_file(dir, "c.yaml", "trial: 3\nspace: {solver.lr: uniform(1, 2)}\n")); });
  EXPECT_NE(message.find("trials"), std::string::npos) << message;
}

// Hyperband's brackets for R = 81, eta = 3: the table of Li et al. 2017 (section 3.3), n_i and r_i per bracket.
TEST(Tuner, HyperbandBracketsAreThePapers) {
  SearchSpace space;
  space.method = "hyperband";
  space.min_epochs = 1, space.max_epochs = 81, space.eta = 3;
  const auto brackets = plan_brackets(space);
  const std::vector<std::pair<int64_t, double>> paper = {{81, 1}, {34, 3}, {15, 9}, {8, 27}, {5, 81}};
  ASSERT_EQ(brackets.size(), paper.size());
  for (size_t s = 0; s < paper.size(); ++s) {
    EXPECT_EQ(brackets[s].trials, paper[s].first) << "bracket " << s;
    EXPECT_DOUBLE_EQ(brackets[s].first_budget, paper[s].second) << "bracket " << s;
    EXPECT_EQ(brackets[s].rungs, static_cast<int64_t>(paper.size() - s)) << "bracket " << s;
  }
  space.method = "successive_halving";
  space.trials = 9, space.max_epochs = 9;
  const auto halving = plan_brackets(space);
  ASSERT_EQ(halving.size(), 1u);
  EXPECT_EQ(halving[0].trials, 9);
  EXPECT_EQ(halving[0].rungs, 3);  // 9 trials x 1 epoch, 3 x 3, 1 x 9
}

// A small Hyperband on the tiny problem: every bracket runs, each trial in its own run directory, and the
// leaderboard ranks the trials that reached the largest budget first.
TEST(Tuner, HyperbandRunsEveryBracket) {
  const auto dir = test::temp_dir("hyperband");
  auto base = test::tiny_config(test::make_shapes(dir, 8, 4), dir + "/unused");
  base.schedule.name = "constant";
  base.schedule.warmup.iters = 0;
  const auto space = load_search_space(write_file(dir, "space.yaml",
                                                  "method: hyperband\nmin_epochs: 1\nmax_epochs: 2\neta: 2\nmonitor: val/loss\n"
                                                  "space:\n  solver.lr: loguniform(1.0e-3, 1.0e-2)\n"));
  const auto result = tune(base, space, dir + "/tune", c10::Device(c10::kCPU));
  // s_max = 1: bracket 0 starts 2 trials at 1 epoch and keeps 1 for 2 epochs; bracket 1 starts 2 trials at 2 epochs.
  ASSERT_EQ(result.trials.size(), 4u);
  EXPECT_EQ(result.trials[0].bracket, 0);
  EXPECT_EQ(result.trials[3].bracket, 1);
  for (const auto& t : result.trials) EXPECT_TRUE(std::filesystem::exists(t.run_dir + "/last.pt")) << t.run_dir;
  EXPECT_EQ(result.trials[result.ranking.front()].results.back().epochs, 2.0);
}

TEST(Tuner, SuccessiveHalvingRanksAClearlyBadLrBelowTheGoodOnesAndResumes) {
  const auto dir = test::temp_dir("tune");
  auto base = test::tiny_config(test::make_shapes(dir, 12, 4), dir + "/unused");
  base.schedule.name = "constant";
  base.schedule.warmup.iters = 0;
  base.solver.optimizer = "adamw";  // learns in a few steps, so the LRs separate within the tiny budgets
  base.train.batch_size = 2;
  const auto space_path = write_file(dir, "space.yaml",
                                     "trials: 4\nmin_epochs: 1\nmax_epochs: 4\neta: 2\nmonitor: val/loss\nseed: 5\n"
                                     "space:\n  solver.lr: grid([1.0e-9, 0.001, 0.003, 0.01])\n");
  const auto space = load_search_space(space_path);
  const auto out = dir + "/tune";
  const auto result = tune(base, space, out, c10::Device(c10::kCPU));
  ASSERT_EQ(result.trials.size(), 4u);
  EXPECT_EQ(result.trials[result.ranking.back()].params[0].second, "1.0e-9");  // the LR that cannot learn ranks last
  // successive halving: 4 trials at 1 epoch, 2 at 2, 1 at 4
  size_t at4 = 0, at2 = 0;
  for (const auto& t : result.trials) at4 += t.results.back().epochs == 4, at2 += t.results.size() >= 2;
  EXPECT_EQ(at4, 1u);
  EXPECT_EQ(at2, 2u);
  EXPECT_TRUE(std::filesystem::exists(result.leaderboard_png));
  EXPECT_TRUE(std::filesystem::exists(result.best_config));
  // Resume: the state file says everything is done; nothing is trained again and the ranking is the same.
  const auto before = std::filesystem::last_write_time(result.trials[0].run_dir + "/last.pt");
  const auto again = tune(base, space, out, c10::Device(c10::kCPU));
  EXPECT_EQ(again.ranking, result.ranking);
  EXPECT_EQ(std::filesystem::last_write_time(result.trials[0].run_dir + "/last.pt"), before);
}

}  // namespace
}  // namespace ssd::tune
