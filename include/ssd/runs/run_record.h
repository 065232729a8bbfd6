#pragma once
// A run directory as ssd-runs reads it: summary.json (engine/run_summary.h), config.yaml flattened to its keys,
// metrics.csv, and the figures other commands left there (the range test's, the LR race's, a tuner's leaderboard).
// Runs written before summary.json existed are read from config.yaml and metrics.csv alone.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ssd/engine/metrics_log.h"
#include "ssd/engine/run_summary.h"

namespace ssd::runs {

struct RunRecord {
  std::string dir;
  std::string name;  ///< the folder's name; with its parent's where two runs share one
  std::optional<engine::RunSummary> summary;
  /// The summary's status, "died" for a run marked running whose process on this host is gone (killed, or the
  /// machine went down: last.pt is where it stands), "unknown" without a summary.
  std::string status;
  std::string config_yaml;                    ///< config.yaml as written
  std::map<std::string, std::string> config;  ///< its keys, dotted ("schedule.name"), to their values as text
  std::vector<engine::MetricsLog::Row> rows;  ///< metrics.csv
  std::string range_test_png, race_png;       ///< lr_find.png, lr_race.png of the run ("" when absent)
  std::string leaderboard_png, leaderboard_csv;  ///< a tuner's, in the run's folder or the one above ("" when absent)

  double best_map() const;     ///< the best validation's VOC all-point mAP, NaN before any
  double best_epoch() const;   ///< the epoch it was reached at, NaN before any
  double epochs_done() const;  ///< NaN when unknown
  double wall_seconds() const;       ///< NaN when unknown
  double images_per_second() const;  ///< NaN when unknown
};

/// Whether `dir` holds a run: config.yaml beside summary.json or metrics.csv.
bool is_run_dir(const std::string& dir);

/// Throws DataError naming the file when one of its files cannot be read.
RunRecord load_run(const std::string& dir);

/// The runs of `dirs`: each one that is a run, and the runs directly inside each one that is not (a folder of runs, a
/// tuner's trial_NNN/), in name order within it. Throws DataError for a folder that is neither.
std::vector<RunRecord> find_runs(const std::vector<std::string>& dirs);

/// The config keys whose values differ between the runs (train.run_dir, which always does, left out), in key order.
std::vector<std::string> differing_keys(const std::vector<RunRecord>& runs);

}  // namespace ssd::runs
