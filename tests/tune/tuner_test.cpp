// The tuner: the search space file, and successive halving on a tiny problem where a clearly bad LR0 must rank
// below the good ones; resuming reuses every finished trial.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
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
  // The fields that decide cuts, each out of range: the message names the field.
  const std::vector<std::pair<std::string, std::string>> bad_fields = {{"max_epochs: 9\nschedule_epochs: 3\n", "schedule_epochs"},
                                                                        {"mode: max\n", "monitor auto"},
                                                                        {"undecided: wait\n", "defer or cut"},
                                                                        {"confidence: 0.3\n", "confidence"}};
  for (const auto& bad : bad_fields) {
    message = test::thrown_message<ConfigError>(
        [&] { load_search_space(write_file(dir, "d.yaml", bad.first + "space:\n  solver.lr: uniform(1, 2)\n")); });
    EXPECT_NE(message.find(bad.second), std::string::npos) << message;
  }
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
                                     "trials: 4\nmin_epochs: 1\nmax_epochs: 4\neta: 2\nmonitor: val/loss\nseed: 5\nundecided: cut\nbaseline: train\n"
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
  const auto baseline_before = std::filesystem::last_write_time(out + "/baseline/last.pt");
  const auto again = tune(base, space, out, c10::Device(c10::kCPU));
  EXPECT_EQ(again.ranking, result.ranking);
  EXPECT_EQ(std::filesystem::last_write_time(result.trials[0].run_dir + "/last.pt"), before);
  // Every cut was logged with its figure and its noise; the verdict compared the best with the config as given,
  // trained as long in its own directory (and not again on the resume).
  ASSERT_EQ(result.decisions.size(), 2u);  // one line per cut
  EXPECT_NE(result.decisions[0].find("cut 4 -> 2 by val/loss"), std::string::npos) << result.decisions[0];
  EXPECT_NE(result.decisions[0].find("%"), std::string::npos) << result.decisions[0];  // the share of resamples
  ASSERT_TRUE(result.verdict.has_value());
  EXPECT_EQ(result.verdict->epochs, 4);
  EXPECT_TRUE(std::filesystem::exists(out + "/baseline/last.pt"));
  EXPECT_FALSE(std::isnan(result.verdict->agreement));
  EXPECT_EQ(result.verdict->search_epochs, 4 + 2 + 1 + 1);
  EXPECT_EQ(result.verdict->baseline_epochs, 4);
  EXPECT_EQ(std::filesystem::last_write_time(out + "/baseline/last.pt"), baseline_before);
  ASSERT_TRUE(again.verdict.has_value());
  EXPECT_EQ(again.verdict->reference, result.verdict->reference);
  EXPECT_EQ(again.decisions, result.decisions);  // the stored figures and their resamples decide the same cuts
  // A resume under other deciding settings is refused, naming the setting.
  const auto other = load_search_space(write_file(dir, "space_other.yaml",
                                                  "trials: 4\nmin_epochs: 1\nmax_epochs: 4\neta: 2\nmonitor: val/loss\nseed: 5\n"
                                                  "undecided: defer\nbaseline: train\nspace:\n  solver.lr: grid([1.0e-9, 0.001, 0.003, 0.01])\n"));
  const auto message = test::thrown_message<ConfigError>([&] { tune(base, other, out, c10::Device(c10::kCPU)); });
  EXPECT_NE(message.find("undecided"), std::string::npos) << message;
}

// A stand-in for training: the figures of trial `lr` at `epochs`, with replicates either paired (every trial's order
// holds in every replicate) or swinging by more than the trials differ (their order is noise).
TrialRun synthetic_run(double lr, int64_t epochs, bool separated) {
  TrialRun run;
  const double map = 0.1 * static_cast<double>(epochs) * (1 - std::abs(std::log10(lr / 3e-3)) / 3);
  const double loss = 2 - map;
  const auto k = static_cast<int>(std::llround(std::log10(lr) * 10));
  for (const auto& [name, value] : std::map<std::string, double>{{"val/mAP", map}, {"val/loss", loss}}) {
    auto& m = run.measures[name];
    m.value = value;
    for (int r = 0; r < 20; ++r) m.replicates.push_back(separated ? value + 0.01 * std::sin(r) : value + ((r + k) % 2 ? 0.5 : -0.5));
  }
  return run;
}

// A rung no figure decides is not cut: all four trials go on to the second rung, which cuts to what it would have
// kept had the first one cut (one), so the last rung trains one trial as planned.
TEST(Tuner, ACutBelowTheNoiseIsDeferredToTheNextRung) {
  const auto dir = test::temp_dir("tune_defer");
  config::Config base;
  const auto space = load_search_space(write_file(dir, "space.yaml",
                                                  "trials: 4\nmin_epochs: 1\nmax_epochs: 4\neta: 2\nbaseline: none\n"
                                                  "space:\n  solver.lr: grid([0.001, 0.002, 0.003, 0.01])\n"));
  std::vector<std::pair<double, int64_t>> trained;
  const TrialRunner runner = [&](const config::Config& c, const SearchSpace&, c10::Device) {
    trained.emplace_back(c.solver.lr, c.train.stop_epoch);
    return synthetic_run(c.solver.lr, c.train.stop_epoch, /*separated=*/c.train.stop_epoch >= 2);
  };
  const auto result = tune(base, space, dir + "/tune", c10::Device(c10::kCPU), runner);
  ASSERT_EQ(trained.size(), 4u + 4u + 1u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(trained[i].second, 1);
  for (size_t i = 4; i < 8; ++i) EXPECT_EQ(trained[i].second, 2);
  EXPECT_EQ(trained[8], (std::pair<double, int64_t>{0.003, 4}));
  ASSERT_GE(result.decisions.size(), 2u);
  EXPECT_NE(result.decisions[0].find("no cut"), std::string::npos) << result.decisions[0];
  EXPECT_NE(result.decisions[1].find("cut 4 -> 1 by val/mAP"), std::string::npos) << result.decisions[1];
  EXPECT_NE(result.decisions[1].find("above the noise"), std::string::npos) << result.decisions[1];
  EXPECT_FALSE(result.verdict.has_value());
  // Resumed: the deferral is decided again from the stored figures, and nothing is trained again.
  trained.clear();
  const auto again = tune(base, space, dir + "/tune", c10::Device(c10::kCPU), runner);
  EXPECT_TRUE(trained.empty());
  EXPECT_EQ(again.decisions, result.decisions);
}

// The last cut is never deferred (that would train every trial left to the largest budget): below the noise, it is
// made and marked.
TEST(Tuner, TheLastCutIsMadeEvenBelowTheNoise) {
  const auto dir = test::temp_dir("tune_last_cut");
  config::Config base;
  const auto space = load_search_space(write_file(dir, "space.yaml",
                                                  "trials: 4\nmin_epochs: 2\nmax_epochs: 4\neta: 2\nbaseline: none\n"
                                                  "space:\n  solver.lr: grid([0.001, 0.002, 0.003, 0.01])\n"));
  std::vector<int64_t> trained;
  const TrialRunner runner = [&](const config::Config& c, const SearchSpace&, c10::Device) {
    trained.push_back(c.train.stop_epoch);
    return synthetic_run(c.solver.lr, c.train.stop_epoch, /*separated=*/false);
  };
  const auto result = tune(base, space, dir + "/tune", c10::Device(c10::kCPU), runner);
  EXPECT_EQ(trained, (std::vector<int64_t>{2, 2, 2, 2, 4, 4}));
  ASSERT_FALSE(result.decisions.empty());
  EXPECT_NE(result.decisions[0].find("cut 4 -> 2 by val/loss, BELOW the noise"), std::string::npos) << result.decisions[0];
}

// The verdict: the config as given (LR0 3e-3 here, the synthetic problem's best) beats every trial of a search that
// never drew it; the tuner says so and best.yaml is the config as given. An existing run can be the reference instead.
TEST(Tuner, TheVerdictSaysWhenTheSearchDidNotBeatTheConfigAsGiven) {
  const auto dir = test::temp_dir("tune_verdict");
  config::Config base;
  base.solver.lr = 3e-3;
  const std::string common = "trials: 2\nmin_epochs: 2\nmax_epochs: 4\neta: 2\nspace:\n  solver.lr: grid([0.001, 0.03])\n";
  const auto space = load_search_space(write_file(dir, "space.yaml", "baseline: train\n" + common));
  const TrialRunner runner = [&](const config::Config& c, const SearchSpace&, c10::Device) {
    return synthetic_run(c.solver.lr, c.train.stop_epoch, true);
  };
  const auto result = tune(base, space, dir + "/tune", c10::Device(c10::kCPU), runner);
  ASSERT_TRUE(result.verdict.has_value());
  EXPECT_FALSE(result.verdict->beaten);
  EXPECT_EQ(result.verdict->epochs, 4);
  EXPECT_DOUBLE_EQ(result.verdict->reference, 0.4);
  EXPECT_DOUBLE_EQ(result.verdict->agreement, 0.0);  // the search's best is worse in every resample
  EXPECT_EQ(result.verdict->search_epochs, 2 + 4);
  EXPECT_EQ(result.verdict->baseline_epochs, 4);
  std::ifstream best(result.best_config);
  std::string first_line;
  std::getline(best, first_line);
  EXPECT_NE(first_line.find("the config as given"), std::string::npos) << first_line;
  bool said = false;
  for (const auto& line : result.verdict->lines) said = said || line.find("did not beat the config as given") != std::string::npos;
  EXPECT_TRUE(said);

  // baseline: an existing run's metrics.csv, its validation at the best's budget (4 epochs).
  const auto run = dir + "/earlier";
  std::filesystem::create_directories(run);
  write_file(run, "metrics.csv",
             "kind,iteration,epoch,lr,loss,loss_loc,loss_conf,img_per_s,data_wait,map_voc,map_voc07\n"
             "val,40,2,,1.9,,,,,0.1,0.09\nval,80,4,,1.8,,,,,0.25,0.2\n");
  const auto from_run = load_search_space(write_file(dir, "space_run.yaml", "baseline: " + run + "\n" + common));
  const auto compared = tune(base, from_run, dir + "/tune_run", c10::Device(c10::kCPU), runner);
  ASSERT_TRUE(compared.verdict.has_value());
  EXPECT_DOUBLE_EQ(compared.verdict->reference, 0.25);
  EXPECT_TRUE(compared.verdict->beaten);  // 0.1 * 4 * (1 - log10(3) / 3) = 0.34 for LR0 1e-3
  EXPECT_TRUE(std::isnan(compared.verdict->agreement));  // the run's figure has no replicates
  // A run without a validation at that budget is named.
  write_file(run, "metrics.csv", "kind,iteration,epoch,lr,loss,loss_loc,loss_conf,img_per_s,data_wait,map_voc,map_voc07\n");
  const auto message = test::thrown_message<ConfigError>(
      [&] { tune(base, from_run, dir + "/tune_run2", c10::Device(c10::kCPU), runner); });
  EXPECT_NE(message.find("metrics.csv has no validation at epoch 4"), std::string::npos) << message;

  // A config as given that diverges: the search beat it, and the verdict says why.
  const auto none_space = load_search_space(write_file(dir, "space_fail.yaml", "baseline: train\n" + common));
  const TrialRunner failing_baseline = [&](const config::Config& c, const SearchSpace& s, c10::Device d) {
    if (c.train.run_dir.size() >= 9 && c.train.run_dir.substr(c.train.run_dir.size() - 9) == "/baseline")
      throw std::runtime_error("the loss is not finite");
    return runner(c, s, d);
  };
  const auto failed = tune(base, none_space, dir + "/tune_failed", c10::Device(c10::kCPU), failing_baseline);
  ASSERT_TRUE(failed.verdict.has_value());
  EXPECT_TRUE(failed.verdict->beaten);
  EXPECT_DOUBLE_EQ(failed.verdict->agreement, 1.0);
  bool named = false;
  for (const auto& line : failed.verdict->lines) named = named || line.find("failed: the loss is not finite") != std::string::npos;
  EXPECT_TRUE(named);
}

// baseline: search (the default): the config as given is trial 0, and no searched trial takes its place. Early rungs
// that the loss decides do not drop it: here the loss favours the lowest LRs (the config's 3e-3 would rank third of four
// and be cut), the mAP has not moved until the last rung, and there the config as given is best. The tuner keeps it
// to the end, trains nothing apart, and best.yaml is the config as given.
TEST(Tuner, TheConfigAsGivenGoesOnUntilTheMapBeatsIt) {
  const auto dir = test::temp_dir("tune_given");
  config::Config base;
  base.solver.lr = 3e-3;
  const std::string common = "trials: 4\nmin_epochs: 1\nmax_epochs: 4\neta: 2\nspace:\n  solver.lr: grid([0.001, 0.002, 0.01])\n";
  const auto space = load_search_space(write_file(dir, "space.yaml", common));
  EXPECT_EQ(space.baseline, "search");
  std::vector<std::pair<double, int64_t>> trained;
  const TrialRunner late_map = [&](const config::Config& c, const SearchSpace&, c10::Device) {
    trained.emplace_back(c.solver.lr, c.train.stop_epoch);
    auto run = synthetic_run(c.solver.lr, c.train.stop_epoch, true);
    if (c.train.stop_epoch < 4) {
      auto& map = run.measures["val/mAP"];
      for (auto& x : map.replicates) x = x - map.value + 0.01;
      map.value = 0.01;
      auto& loss = run.measures["val/loss"];
      for (auto& x : loss.replicates) x = x - loss.value + 100 * c.solver.lr;
      loss.value = 100 * c.solver.lr;
    }
    return run;
  };
  const auto out = dir + "/tune";
  const auto result = tune(base, space, out, c10::Device(c10::kCPU), late_map);
  ASSERT_EQ(result.trials.size(), 4u);
  EXPECT_TRUE(result.trials[0].given);
  EXPECT_TRUE(result.trials[0].params.empty());
  // 4 trials x 1 epoch (the grid's entries in order after the config as given); the two searched ones the loss keeps
  // and the config as given x 2; one and it x 4.
  EXPECT_EQ(trained, (std::vector<std::pair<double, int64_t>>{{0.003, 1}, {0.001, 1}, {0.002, 1}, {0.01, 1}, {0.001, 2}, {0.002, 2},
                                                              {0.003, 2}, {0.001, 4}, {0.003, 4}}));
  ASSERT_EQ(result.decisions.size(), 3u);  // two cuts, and the best against the runner-up
  EXPECT_NE(result.decisions[0].find("cut 3 -> 2 by val/loss"), std::string::npos) << result.decisions[0];
  EXPECT_NE(result.decisions[0].find("the config as given (trial 0) goes on: val/mAP has not moved yet"), std::string::npos)
      << result.decisions[0];
  EXPECT_TRUE(result.trials[result.ranking.front()].given);
  ASSERT_TRUE(result.verdict.has_value());
  EXPECT_EQ(result.trials[result.verdict->winner].id, 1);  // LR0 1e-3, the search's own best
  EXPECT_FALSE(result.verdict->beaten);
  EXPECT_EQ(result.verdict->search_epochs, 4 + 2 + 1 + 4);
  EXPECT_EQ(result.verdict->baseline_epochs, 4);
  EXPECT_FALSE(std::filesystem::exists(out + "/baseline"));
  std::ifstream best(result.best_config);
  std::string first_line;
  std::getline(best, first_line);
  EXPECT_NE(first_line.find("the config as given"), std::string::npos) << first_line;
  std::ifstream board(result.leaderboard_csv);
  std::string header, first_row;
  std::getline(board, header), std::getline(board, first_row);
  EXPECT_EQ(first_row.rfind("1,given,0,4,", 0), 0u) << first_row;
  trained.clear();  // resumed: the same decisions, nothing trained again
  EXPECT_EQ(tune(base, space, out, c10::Device(c10::kCPU), late_map).decisions, result.decisions);
  EXPECT_TRUE(trained.empty());
  // ... and not under the other baseline, which would not have the config as given among its trials.
  const auto apart = load_search_space(write_file(dir, "apart.yaml", "baseline: train\n" + common));
  const auto refused = test::thrown_message<ConfigError>([&] { tune(base, apart, out, c10::Device(c10::kCPU), late_map); });
  EXPECT_NE(refused.find("set baseline: search"), std::string::npos) << refused;

  // A config as given that the mAP beats beyond its noise (LR0 3e-2 here, worse than every searched trial once the mAP
  // has moved) is cut at the first rung, and trained on alone to the best trial's budget for the verdict.
  base.solver.lr = 3e-2;
  trained.clear();
  const TrialRunner early_map = [&](const config::Config& c, const SearchSpace&, c10::Device) {
    trained.emplace_back(c.solver.lr, c.train.stop_epoch);
    return synthetic_run(c.solver.lr, c.train.stop_epoch, true);
  };
  const auto beaten = tune(base, space, dir + "/tune_beaten", c10::Device(c10::kCPU), early_map);
  EXPECT_EQ(trained, (std::vector<std::pair<double, int64_t>>{{0.03, 1}, {0.001, 1}, {0.002, 1}, {0.01, 1}, {0.002, 2}, {0.001, 2},
                                                              {0.002, 4}, {0.03, 4}}));
  ASSERT_FALSE(beaten.decisions.empty());
  EXPECT_NE(beaten.decisions[0].find("the config as given (trial 0) is cut: the worst kept beats it"), std::string::npos)
      << beaten.decisions[0];
  ASSERT_TRUE(beaten.verdict.has_value());
  EXPECT_TRUE(beaten.verdict->beaten);
  EXPECT_TRUE(beaten.verdict->above_noise);
  EXPECT_EQ(beaten.trials[beaten.verdict->winner].params[0].second, "0.002");

  // The config as given is one of `trials`: a search of one would be no search.
  const auto message = test::thrown_message<ConfigError>(
      [&] { load_search_space(write_file(dir, "one.yaml", "trials: 1\nspace:\n  solver.lr: grid([0.001])\n")); });
  EXPECT_NE(message.find("at least 2"), std::string::npos) << message;
}

// A first rung shorter than a trial's warm-up is lengthened to end an epoch after the longest one: 800 images in
// batches of 8 are 100 iterations per epoch, so 500 warm-up iterations last 5 epochs and the first rung ends at 6.
TEST(Tuner, NoFirstRungEndsInsideAWarmUp) {
  config::Config base;
  base.train.batch_size = 8;
  base.schedule.warmup.iters = 500;
  base.schedule.warmup.epochs = 0;
  Trial plain, shorter, smaller_batches;
  shorter.params = {{"schedule.warmup.iters", "100"}};  // 1 epoch: a first rung of 2 is enough
  smaller_batches.params = {{"train.batch_size", "4"}, {"schedule.warmup.iters", "300"}};  // 200 per epoch: 1.5 epochs
  EXPECT_DOUBLE_EQ(first_rung_after_warmup(base, {shorter}, 1, 20, 800), 2);
  EXPECT_DOUBLE_EQ(first_rung_after_warmup(base, {shorter, plain}, 1, 20, 800), 6);
  EXPECT_DOUBLE_EQ(first_rung_after_warmup(base, {smaller_batches}, 1, 20, 800), 3);
  EXPECT_DOUBLE_EQ(first_rung_after_warmup(base, {plain}, 7, 20, 800), 7);  // already past it
  EXPECT_DOUBLE_EQ(first_rung_after_warmup(base, {plain}, 1, 4, 800), 4);   // never past the planned run
  EXPECT_DOUBLE_EQ(first_rung_after_warmup(base, {plain}, 1, 20, 0), 1);    // the data's size unknown

  // In a tuning: rungs of 2, 4 and 8 epochs become 6, 6 and 8; the two rungs of 6 are one, and its cut keeps what the
  // second would have (one trial).
  const auto dir = test::temp_dir("tune_warmup");
  const auto space = load_search_space(write_file(dir, "space.yaml",
                                                  "trials: 4\nmin_epochs: 2\nmax_epochs: 8\neta: 2\nbaseline: none\n"
                                                  "space:\n  solver.lr: grid([0.001, 0.002, 0.003, 0.01])\n"));
  std::vector<int64_t> trained;
  const TrialRunner runner = [&](const config::Config& c, const SearchSpace&, c10::Device) {
    trained.push_back(c.train.stop_epoch);
    return synthetic_run(c.solver.lr, c.train.stop_epoch, true);
  };
  const auto result = tune(base, space, dir + "/tune", c10::Device(c10::kCPU), runner, 800);
  EXPECT_EQ(trained, (std::vector<int64_t>{6, 6, 6, 6, 8}));
  ASSERT_FALSE(result.decisions.empty());
  EXPECT_NE(result.decisions[0].find("rung 2 (6 epochs): cut 4 -> 1"), std::string::npos) << result.decisions[0];
}

// A tuning folder drawn from another space or seed is not resumed as if it were this one.
TEST(Tuner, RefusesToResumeTrialsDrawnFromAnotherSpace) {
  const auto dir = test::temp_dir("tune_other_space");
  config::Config base;
  const TrialRunner runner = [&](const config::Config& c, const SearchSpace&, c10::Device) {
    return synthetic_run(c.solver.lr, c.train.stop_epoch, true);
  };
  const std::string common = "trials: 2\nmin_epochs: 1\nmax_epochs: 2\neta: 2\nbaseline: none\nspace:\n  solver.lr: loguniform(1.0e-4, 1.0e-2)\n";
  tune(base, load_search_space(write_file(dir, "a.yaml", "seed: 1\n" + common)), dir + "/tune", c10::Device(c10::kCPU), runner);
  const auto message = test::thrown_message<ConfigError>([&] {
    tune(base, load_search_space(write_file(dir, "b.yaml", "seed: 2\n" + common)), dir + "/tune", c10::Device(c10::kCPU), runner);
  });
  EXPECT_NE(message.find("was drawn with other parameters"), std::string::npos) << message;
}

}  // namespace
}  // namespace ssd::tune
