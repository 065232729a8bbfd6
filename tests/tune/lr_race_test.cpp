// The range test's race: its candidates, and successive halving over them on a synthetic problem whose best LR is
// known and where the fixed rules disagree (valley, fastai's default, is the worst of them there).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "ssd/lr/schedules/multistep.h"
#include "ssd/tune/lr_race.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::tune {
namespace {

// The picks of the case that motivated the race: valley 3.6e-4, steepest 2.8e-3, minimum/10 6.6e-3 (18x apart).
std::vector<range_test::Suggestion> disagreeing_picks() {
  return {{"steepest", 2.8e-3, -1}, {"minimum/10", 6.6e-3, -1}, {"valley", 3.6e-4, -1}};
}

TEST(LrRace, CandidatesAreThePicksInOrderWithMidpointsAcrossWideGaps) {
  const auto c = race_candidates(disagreeing_picks());
  // 3.6e-4 -> 2.8e-3 is 7.8x: one midpoint (two steps of 2.8x); 2.8e-3 -> 6.6e-3 is 2.4x: none.
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].rule, "valley");
  EXPECT_DOUBLE_EQ(c[0].lr, 3.6e-4);
  EXPECT_EQ(c[1].rule, "midpoint");
  EXPECT_NEAR(c[1].lr, std::sqrt(3.6e-4 * 2.8e-3), 1e-15);
  EXPECT_EQ(c[2].rule, "steepest");
  EXPECT_EQ(c[3].rule, "minimum/10");
  // 100x apart: 5 steps of 2.5x (4 steps would be 3.16x each, over 3x), so four midpoints; picks within 1% are one
  // candidate.
  const auto wide = race_candidates({{"steepest", 1e-2, -1}, {"valley", 1e-4, -1}, {"minimum/10", 1.005e-4, -1}});
  ASSERT_EQ(wide.size(), 6u);
  EXPECT_EQ(wide[0].rule, "valley = minimum/10");
  for (size_t i = 1; i < wide.size(); ++i) EXPECT_NEAR(wide[i].lr / wide[i - 1].lr, std::pow(1e-2 / 1e-4, 0.2), 1e-9);
}

TEST(LrRace, RacesOnlyWhenAskedAndTheRulesDisagree) {
  config::RangeTestConfig c;
  const auto agreeing = std::vector<range_test::Suggestion>{{"steepest", 1e-3, -1}, {"valley", 2e-3, -1}};
  EXPECT_FALSE(race_wanted(c, disagreeing_picks()));  // the default: never
  c.race = "disagree";
  EXPECT_TRUE(race_wanted(c, disagreeing_picks()));
  EXPECT_FALSE(race_wanted(c, agreeing));
  c.race = "always";
  EXPECT_TRUE(race_wanted(c, agreeing));
  EXPECT_NEAR(disagreement(disagreeing_picks()), 6.6e-3 / 3.6e-4, 1e-12);
}

// val/mAP of a training at `lr` for `epochs`: it grows with the epochs and peaks at lr = 2.5e-3 (log-normal in lr).
double synthetic_map(double lr, double epochs) {
  const double distance = std::log10(lr / 2.5e-3);
  return (1 - std::exp(-epochs / 3)) * std::exp(-distance * distance);
}

// A run that reports only its monitored figure (no replicates: the noise is not measured).
TrialRun figure(double metric) {
  TrialRun run;
  run.metric = metric;
  return run;
}

config::Config race_config(const std::string& dir) {
  config::Config c;
  c.train.run_dir = dir;
  c.train.epochs = 16;
  c.data.val.roots = {dir + "/val"};  // the synthetic runner reads no data; the race only checks that there is some
  c.range_test.race = "disagree";
  c.range_test.race_monitor = "val/mAP";
  c.range_test.race_rungs = "continue";  // the plans below are hand-counted for rungs that go on from checkpoints
  return c;
}

TEST(LrRace, TheWinnerIsTheKnownBestWithTheFiguresThatDecidedIt) {
  const auto dir = test::temp_dir("lr_race");
  std::vector<std::pair<double, int64_t>> trained;  // (lr, epochs) of every run the race asked for
  const TrialRunner runner = [&](const config::Config& c, const SearchSpace& space, c10::Device) {
    EXPECT_EQ(space.monitor, "val/mAP");
    EXPECT_EQ(c.train.epochs, 16);  // every rung is the start of the planned run, not a compressed one
    trained.emplace_back(c.solver.lr, c.train.stop_epoch);
    return figure(synthetic_map(c.solver.lr, static_cast<double>(c.train.stop_epoch)));
  };
  const auto config = race_config(dir);
  const auto race = race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {}, runner);
  ASSERT_FALSE(race.interrupted);
  // The known best, 2.5e-3, is nearest steepest's 2.8e-3; valley's 3.6e-4 is the farthest, and the
  // fallback without a race, minimum/10's 6.6e-3, is 2.6x above it.
  EXPECT_EQ(race.candidates[race.winner].rule, "steepest");
  // Four candidates, eta 2, race_epochs 0 = 16 / 4: a rung of 2 epochs for all four, then 4 epochs for the better two.
  ASSERT_EQ(trained.size(), 6u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(trained[i].second, 2);
  EXPECT_EQ(trained[4].second, 4);
  EXPECT_EQ(trained[5].second, 4);
  // The finalists, best first: steepest (0.998 of the peak) and the midpoint 1.0e-3 (0.855), not minimum/10 (0.837).
  EXPECT_DOUBLE_EQ(trained[4].first, 2.8e-3);
  EXPECT_NEAR(trained[5].first, std::sqrt(3.6e-4 * 2.8e-3), 1e-12);
  // The table names every candidate, its rule and its figure at each rung; the loser of rung 1 reads "cut".
  ASSERT_EQ(race.lines.size(), 5u + 2u);  // the table, then how each cut was decided
  EXPECT_NE(race.lines[5].find("cut 4 -> 2 by val/mAP"), std::string::npos) << race.lines[5];
  EXPECT_NE(race.lines[0].find("val/mAP @ 2 ep"), std::string::npos);
  EXPECT_NE(race.lines[0].find("val/mAP @ 4 ep"), std::string::npos);
  EXPECT_EQ(race.lines[3].rfind("*", 0), 0u) << race.lines[3];  // steepest's row, marked the winner
  EXPECT_NE(race.lines[1].find("valley"), std::string::npos);
  EXPECT_NE(race.lines[1].find("cut"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(race.csv_path));
  EXPECT_TRUE(std::filesystem::exists(race.png_path));
  std::ifstream csv(race.csv_path);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "candidate,rule,lr,epochs,val/mAP,winner");

  // The same race again resumes it: nothing is trained twice, the same winner.
  trained.clear();
  const auto again = race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {}, runner);
  EXPECT_TRUE(trained.empty());
  EXPECT_EQ(again.winner, race.winner);
  // The range test's picks moved in their last digits (another machine's kernels): the stored race goes on.
  auto moved = disagreeing_picks();
  for (auto& p : moved) p.lr *= 1.001;
  const auto resumed = race_lr(config, race_candidates(moved), c10::Device(c10::kCPU), {}, runner);
  EXPECT_TRUE(trained.empty());
  EXPECT_EQ(resumed.candidates[resumed.winner].lr, 2.8e-3);
  // Other candidates in the same folder are not mistaken for this race.
  EXPECT_THROW(race_lr(config, race_candidates({{"steepest", 1e-2, -1}, {"valley", 1e-4, -1}}), c10::Device(c10::kCPU), {}, runner),
               ConfigError);
}

// Ranked by validation loss (the default: at a race's budgets every mAP is still near zero), lower is better: the same
// problem as a loss falling towards its floor with the training, lowest near the best LR.
TEST(LrRace, RankedByValidationLossTheLowestWins) {
  auto config = race_config(test::temp_dir("lr_race_loss"));
  config.range_test.race_monitor = "val/loss";
  const TrialRunner runner = [&](const config::Config& c, const SearchSpace& space, c10::Device) {
    EXPECT_EQ(space.monitor, "val/loss");
    return figure(10 * (1 - synthetic_map(c.solver.lr, static_cast<double>(c.train.stop_epoch))));
  };
  const auto race = race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {}, runner);
  EXPECT_EQ(race.candidates[race.winner].rule, "steepest");
  EXPECT_EQ(race.monitor, "val/loss");
  EXPECT_NE(race.lines[0].find("val/loss @ 2 ep"), std::string::npos);
}

// A rung that would end inside the warm-up is lengthened: warm-up 500 iterations at 100 per epoch is 5 epochs, so the
// first rung ends at 6 and the last at 12 (not 2 and 4); without the data's length nothing is changed.
TEST(LrRace, NoCandidateIsJudgedBeforeItsWarmUpEnds) {
  auto config = race_config(test::temp_dir("lr_race_warmup"));
  config.schedule.warmup.iters = 500;
  const auto candidates = race_candidates(disagreeing_picks());
  const auto space = race_space(config, candidates, {100});
  EXPECT_DOUBLE_EQ(space.min_epochs, 6);
  EXPECT_DOUBLE_EQ(space.max_epochs, 12);
  EXPECT_DOUBLE_EQ(space.schedule_epochs, 16);
  const auto unknown = race_space(config, candidates, {});
  EXPECT_DOUBLE_EQ(unknown.min_epochs, 2);
  EXPECT_DOUBLE_EQ(unknown.max_epochs, 4);
  // Restarted rungs hold the whole schedule: the 5-epoch warm-up takes at most half of the first rung, 10 epochs, so
  // that it ends before the first decay. Twice that is past train.epochs (16), too short a step for a second rung at
  // eta 2: one rung, every candidate 10 epochs.
  config.range_test.race_rungs = "restart";
  const auto restarted = race_space(config, candidates, {100});
  EXPECT_DOUBLE_EQ(restarted.min_epochs, 10);
  EXPECT_DOUBLE_EQ(restarted.max_epochs, 16);
  EXPECT_EQ(plan_brackets(restarted).front().rungs, 1);
  EXPECT_DOUBLE_EQ(race_epochs_in_all(restarted), 10.0 * static_cast<double>(candidates.size()));
}

// A restarted rung is judged as the run ends only if the schedule shrinks with it: milestones in iterations stay
// where they are, so a 2-epoch rung never decays where the 16-epoch run is at 0.01 x LR0 by then; a cosine over an
// absolute schedule.total of the whole run has barely begun (0.962 x LR0 after 200 of its 1600 iterations). The
// user is told. Decays given as fractions of the run, and a cosine over the run (near 0 at the end of both, at the
// same point of their lengths), are not warned about.
TEST(LrRace, WarnsWhenARestartedRungKeepsTheSchedulesAbsoluteDurations) {
  auto config = race_config(test::temp_dir("lr_race_milestones"));
  config.range_test.race_rungs = "restart";
  config.schedule.warmup.iters = 0;
  const auto warning = [&] { return test::logged([&] { race_space(config, race_candidates(disagreeing_picks()), {100}); }); };
  config.schedule.name = "multistep";
  config.schedule.params.get<lr::MultiStepParams>("multistep").milestones = {1000, 1400};
  const auto absolute = warning();
  EXPECT_NE(absolute.find("a restarted rung of 2 epochs ends at 1 x LR0, where the planned 16-epoch run is at 0.01 x LR0"),
            std::string::npos) << absolute;
  EXPECT_NE(absolute.find("schedule.multistep.fractions"), std::string::npos);
  config.schedule.params.get<lr::MultiStepParams>("multistep").milestones = {};
  EXPECT_EQ(warning().find("restarted rung"), std::string::npos);  // the default fractions shrink with it
  config.schedule.name = "cosine";
  EXPECT_EQ(warning().find("restarted rung"), std::string::npos);
  config.schedule.total = 1600;
  EXPECT_NE(warning().find("a restarted rung of 2 epochs ends at 0.962 x LR0"), std::string::npos);
}

// range_test.race_minutes: the longest race that trains within the minutes at the measured pace. Four candidates, eta 2:
// all four for L/2 epochs, the better two to L; at 10 steps an epoch of 0.6 s (0.1 minute an epoch), 3 minutes hold
// 30 epochs in all: L = 10 (4 x 5 + 2 x 5), where L = 11 would take 34.
TEST(LrRace, AMinutesBudgetPlansTheLongestRaceThatFits) {
  auto config = race_config(test::temp_dir("lr_race_minutes"));
  config.schedule.warmup.iters = 0;
  config.range_test.race_minutes = 3;
  const auto candidates = race_candidates(disagreeing_picks());
  ASSERT_EQ(candidates.size(), 4u);
  const auto space = race_space(config, candidates, {10, 0.6});
  EXPECT_DOUBLE_EQ(space.max_epochs, 10);
  EXPECT_DOUBLE_EQ(space.min_epochs, 5);
  EXPECT_DOUBLE_EQ(race_epochs_in_all(space), 30);
  // Twice as fast a machine: 60 epochs in all would hold L = 20, but no rung trains past the planned run (16 epochs).
  EXPECT_DOUBLE_EQ(race_space(config, candidates, {10, 0.3}).max_epochs, 16);
  // Too few minutes for any race: the shortest there is (one epoch each), not none.
  config.range_test.race_minutes = 0.01;
  EXPECT_DOUBLE_EQ(race_space(config, candidates, {10, 0.6}).max_epochs, 1);
  // The pace unknown: the default budget, a quarter of train.epochs.
  config.range_test.race_minutes = 3;
  EXPECT_DOUBLE_EQ(race_space(config, candidates, {}).max_epochs, 4);
  // Two budgets at once is a config error that names both keys.
  config.range_test.race_epochs = 6;
  const auto message = test::thrown_message<ConfigError>([&] { race_space(config, candidates, {10, 0.6}); });
  EXPECT_NE(message.find("range_test.race_minutes"), std::string::npos) << message;
  EXPECT_NE(message.find("range_test.race_epochs"), std::string::npos) << message;
}

// A race budgeted in minutes resumes with the rungs it began with, though the pace measured now differs.
TEST(LrRace, AMinutesBudgetResumesWithTheRungsItBeganWith) {
  auto config = race_config(test::temp_dir("lr_race_minutes_resume"));
  config.schedule.warmup.iters = 0;
  config.range_test.race_minutes = 3;
  int64_t runs = 0, longest = 0;
  const TrialRunner runner = [&](const config::Config& c, const SearchSpace&, c10::Device) {
    ++runs, longest = std::max(longest, c.train.stop_epoch);
    return figure(synthetic_map(c.solver.lr, static_cast<double>(c.train.stop_epoch)));
  };
  const auto race = race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {10, 0.6}, runner);
  EXPECT_EQ(runs, 6);
  EXPECT_EQ(longest, 10);
  runs = 0;
  const auto again = race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {10, 0.45}, runner);
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(again.winner, race.winner);
  // Other minutes are another race, even minutes that would plan the same rungs (L = 10 again).
  config.range_test.race_minutes = 3.1;
  EXPECT_DOUBLE_EQ(race_space(config, race_candidates(disagreeing_picks()), {10, 0.6}).max_epochs, 10);
  EXPECT_THROW(race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {10, 0.6}, runner), ConfigError);
}

// range_test.race_rungs restart: every rung trains each candidate from scratch with its whole schedule in the rung's
// epochs, in a run directory of its own; the race trains 4 x 2 + 2 x 4 epochs instead of 4 x 2 + 2 x 2.
TEST(LrRace, RestartedRungsTrainAWholeScheduleEach) {
  auto config = race_config(test::temp_dir("lr_race_restart"));
  config.range_test.race_rungs = "restart";
  std::vector<config::Config> runs;
  const TrialRunner runner = [&](const config::Config& c, const SearchSpace& space, c10::Device) {
    EXPECT_EQ(space.rungs, "restart");
    runs.push_back(c);
    return figure(synthetic_map(c.solver.lr, static_cast<double>(c.train.epochs)));
  };
  const auto race = race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {}, runner);
  EXPECT_EQ(race.candidates[race.winner].rule, "steepest");
  ASSERT_EQ(runs.size(), 6u);
  for (const auto& c : runs) {
    EXPECT_EQ(c.train.epochs, c.train.stop_epoch);  // the whole schedule, not the start of a 16-epoch one
    EXPECT_EQ(std::filesystem::path(c.train.run_dir).filename().string(), "rung_" + std::to_string(c.train.epochs));
  }
  EXPECT_EQ(runs[0].train.epochs, 2);
  EXPECT_EQ(runs[5].train.epochs, 4);
  const auto space = race_space(config, race_candidates(disagreeing_picks()));
  EXPECT_DOUBLE_EQ(race_epochs_in_all(space), 16);
  config.range_test.race_rungs = "continue";
  EXPECT_DOUBLE_EQ(race_epochs_in_all(race_space(config, race_candidates(disagreeing_picks()))), 12);
  // A race begun with the other kind of rungs is not resumed as this one, and the error says how to resume it.
  try {
    race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {}, runner);
    ADD_FAILURE() << "a restarted race resumed with continued rungs";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--set range_test.race_rungs=restart to resume it"), std::string::npos) << e.what();
  }
  // A race stored before the key existed (no "rungs": continue) resumed under the default restart says how to go on.
  auto before = race_config(test::temp_dir("lr_race_before_rungs"));
  const TrialRunner either = [](const config::Config& c, const SearchSpace&, c10::Device) {
    return figure(synthetic_map(c.solver.lr, static_cast<double>(c.train.stop_epoch)));
  };
  race_lr(before, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {}, either);
  before.range_test.race_rungs = "restart";
  try {
    race_lr(before, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {}, either);
    ADD_FAILURE() << "a race with continued rungs resumed with restarted ones";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("(the only kind before the key existed), now restart: add --set range_test.race_rungs=continue"),
              std::string::npos) << e.what();
  }
}

// Every candidate diverged: the race decides nothing (and ssd-train falls back to the rules' recommendation).
TEST(LrRace, ARaceWhereEveryCandidateFailedDecidesNothing) {
  const auto config = race_config(test::temp_dir("lr_race_failed"));
  const TrialRunner diverging = [](const config::Config&, const SearchSpace&, c10::Device) -> TrialRun {
    throw std::runtime_error("the loss is not finite");
  };
  const auto race = race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {}, diverging);
  EXPECT_FALSE(race.decided);
  EXPECT_NE(race.lines[1].find("failed"), std::string::npos) << race.lines[1];
}

TEST(LrRace, NeedsValidationDataToDecideOn) {
  auto config = race_config(test::temp_dir("lr_race_no_val"));
  config.data.val.roots.clear();
  const TrialRunner never = [](const config::Config&, const SearchSpace&, c10::Device) -> TrialRun {
    ADD_FAILURE() << "nothing may train without validation data";
    return {};
  };
  const auto message = test::thrown_message<ConfigError>(
      [&] { race_lr(config, race_candidates(disagreeing_picks()), c10::Device(c10::kCPU), {}, never); });
  EXPECT_NE(message.find("data.val.roots"), std::string::npos);
}

}  // namespace
}  // namespace ssd::tune
