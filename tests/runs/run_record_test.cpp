#include "ssd/runs/run_record.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "ssd/engine/run_summary.h"
#include "ssd/runs/run_table.h"
#include "ssd/util/error.h"
#include "ssd/util/process_info.h"
#include "test_data.h"

namespace fs = std::filesystem;

namespace ssd::runs {
namespace {

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

engine::RunSummary finished_summary(double best_map, std::vector<double> class_ap) {
  engine::RunSummary s;
  s.status = "finished";
  s.host = util::host_name();
  s.pid = 1;
  s.epochs_done = 2, s.epochs = 2;
  s.wall_seconds = 125, s.train_seconds = 100, s.images = 400;
  s.best_map = best_map, s.best_epoch = 2, s.best_iteration = 20;
  s.classes = {"cat", "dog"};
  s.best_class_ap = std::move(class_ap);
  s.last_validation = {{"val/mAP", best_map}, {"val/loss", 1.5}};
  return s;
}

const char* kRows =
    "kind,iteration,epoch,lr,loss,loss_loc,loss_conf,img_per_s,data_wait,map_voc,map_voc07,time_s\n"
    "train,10,1,0.001,3,1,2,40,0.1,,,30.5\n"
    "val,10,1,,2.5,,,,,0.4,0.35,40.0\n"
    "train,20,2,0.0001,2,0.5,1.5,40,0.1,,,70.0\n"
    "val,20,2,,2.0,,,,,0.6,0.55,80.0\n";

// Every field survives the file: what ssd-runs reads is what the hook wrote, NaN (a class without ground truth) included.
TEST(RunSummary, RoundTripsThroughItsJson) {
  auto s = finished_summary(0.5, {0.75, std::nan("")});
  s.command = {"ssd-train", "--config", "a b.yaml"};
  s.version = "0.1.0 (abc1234)";
  s.stop_reason = "early stopping";
  s.sessions = 2;
  const auto back = engine::parse_run_summary(engine::to_json(s), "summary.json");
  EXPECT_EQ(back.status, "finished");
  EXPECT_EQ(back.command, s.command);
  EXPECT_EQ(back.version, s.version);
  EXPECT_EQ(back.stop_reason, s.stop_reason);
  EXPECT_EQ(back.sessions, 2);
  EXPECT_DOUBLE_EQ(back.best_map, 0.5);
  EXPECT_EQ(back.best_epoch, 2);
  ASSERT_EQ(back.best_class_ap.size(), 2u);
  EXPECT_DOUBLE_EQ(back.best_class_ap[0], 0.75);
  EXPECT_TRUE(std::isnan(back.best_class_ap[1]));
  EXPECT_DOUBLE_EQ(back.last_validation.at("val/loss"), 1.5);
  EXPECT_DOUBLE_EQ(back.images_per_second(), 4.0);
  EXPECT_THROW(engine::parse_run_summary("{\"no\": 1}", "x/summary.json"), DataError);
}

// A folder of runs: each found, the keys that differ (train.run_dir aside), a run of an earlier version (no
// summary.json) read from its metrics.csv, and a run marked running whose process is gone told as died.
TEST(RunRecord, FindsTheRunsOfAFolderAndWhatDiffersBetweenThem) {
  const fs::path dir = test::temp_dir("run_record");
  write_file(dir / "a/config.yaml", "solver: {lr: 0.001, optimizer: sgd}\nschedule:\n  name: multistep\n  multistep: {fractions: [0.8, 0.93]}\ntrain: {run_dir: a}\n");
  write_file(dir / "a/metrics.csv", kRows);
  write_file(dir / "a/summary.json", engine::to_json(finished_summary(0.6, {0.7, 0.5})));
  write_file(dir / "b/config.yaml", "solver: {lr: 0.001, optimizer: sgd}\nschedule:\n  name: cosine\n  multistep: {fractions: [0.667, 0.833]}\ntrain: {run_dir: b}\n");
  write_file(dir / "b/metrics.csv", kRows);  // no summary.json: a run of an earlier version
  auto dead = finished_summary(0.1, {});
  dead.status = "running", dead.pid = (1 << 22) + 12345;  // beyond pid_max: no such process
  write_file(dir / "c/config.yaml", "solver: {lr: 0.01, optimizer: sgd}\nschedule: {name: cosine}\ntrain: {run_dir: c}\n");
  write_file(dir / "c/summary.json", engine::to_json(dead));
  write_file(dir / "not_a_run/notes.txt", "x");

  const auto runs = find_runs({dir.string()});
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].name, "a");
  EXPECT_EQ(runs[0].status, "finished");
  EXPECT_DOUBLE_EQ(runs[0].best_map(), 0.6);
  EXPECT_EQ(runs[1].status, "unknown");
  EXPECT_DOUBLE_EQ(runs[1].best_map(), 0.6);  // from metrics.csv
  EXPECT_DOUBLE_EQ(runs[1].best_epoch(), 2);
  EXPECT_DOUBLE_EQ(runs[1].wall_seconds(), 80);
  EXPECT_EQ(runs[2].status, "died");
  EXPECT_EQ(differing_keys(runs), (std::vector<std::string>{"schedule.multistep.fractions", "schedule.name", "solver.lr"}));
  EXPECT_EQ(runs[0].config.at("schedule.multistep.fractions"), "[0.8, 0.93]");
  EXPECT_EQ(runs[2].config.count("schedule.multistep.fractions"), 0u);  // "(not set)" in the tables

  const auto table = format_text(run_table(runs, /*max_key_columns=*/2));
  EXPECT_NE(table.find("a    finished     2/2    0.6000         2  2 min 05 s    4.0  [0.8, 0.93]"), std::string::npos) << table;
  EXPECT_NE(table.find("2 min 05 s"), std::string::npos) << table;
  EXPECT_NE(table.find("1 more config key(s) differ: solver.lr"), std::string::npos) << table;

  const auto ap = class_ap_table(runs);
  EXPECT_EQ(ap.classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_DOUBLE_EQ(ap.ap[1][0], 0.5);
  EXPECT_TRUE(std::isnan(ap.ap[1][1]));

  EXPECT_THROW(find_runs({(dir / "not_a_run").string()}), DataError);
  EXPECT_THROW(find_runs({(dir / "missing").string()}), DataError);
}

// An LR race with restarted rungs keeps each rung's run in lr_race/trial_NNN/rung_N: the race's folder lists them,
// named with their trial, and a rung finds the race's leaderboard two folders up. Other folders are not read that deep.
TEST(RunRecord, ReadsTheRestartedRungsOfAnLrRace) {
  const fs::path race = fs::path(test::temp_dir("run_record_race")) / "lr_race";
  for (const char* rung : {"trial_000/rung_4", "trial_000/rung_8", "trial_001/rung_4"}) {
    write_file(race / rung / "config.yaml", "solver: {lr: 0.001}\n");
    write_file(race / rung / "metrics.csv", kRows);
  }
  write_file(race / "other/run/config.yaml", "solver: {lr: 0.001}\n");
  write_file(race / "other/run/metrics.csv", kRows);
  write_file(race / "leaderboard.csv", "rank\n");
  const auto runs = find_runs({race.string()});
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].name, "trial_000/rung_4");
  EXPECT_EQ(runs[1].name, "trial_000/rung_8");
  EXPECT_EQ(runs[2].name, "trial_001/rung_4");
  EXPECT_EQ(fs::path(runs[1].leaderboard_csv), race / "leaderboard.csv");
}

TEST(RunTable, DurationsReadAtAGlance) {
  EXPECT_EQ(duration_text(42.4), "42 s");
  EXPECT_EQ(duration_text(598), "9 min 58 s");
  EXPECT_EQ(duration_text(3 * 3600 + 7 * 60 + 10), "3 h 07 min");
  EXPECT_EQ(duration_text(std::nan("")), "-");
}

}  // namespace
}  // namespace ssd::runs
