#pragma once
// summary.json of a run directory: what ran (command line, version, machine), when, how far it got and how it ended,
// and its best and last validation, so that a run describes itself beside its config.yaml and metrics.csv.
// RunSummaryHook (engine/hooks/run_summary.h) writes it; ssd-runs (runs/) reads it.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ssd::engine {

struct RunSummary {
  /// running, finished (the planned run or train.max_iters done), stopped (a signal or early stopping; stop_reason
  /// says which) or failed (an error; stop_reason holds it).
  std::string status = "running";
  std::string stop_reason;
  std::vector<std::string> command;  ///< the command line of the latest session
  std::string version;               ///< util::build_version()
  std::string host, cpu, device;
  int64_t threads = 0;    ///< CPU threads of the process's intra-op pool
  int64_t processes = 1;  ///< the distributed run's world size
  int64_t pid = 0;        ///< the latest session's process (rank 0), to tell a run that died from one still running
  std::string started, ended;  ///< UTC, ISO 8601; started: the first session's start, ended: empty while running
  int64_t sessions = 0;        ///< starts, the first one and each resume
  double wall_seconds = 0;     ///< over all sessions, evaluation included
  double train_seconds = 0;    ///< time in training steps (data loading included, validation not)
  int64_t images = 0;          ///< training images seen, over all processes
  int64_t iterations = 0, total_iterations = 0;
  double epochs_done = 0;  ///< whole and partial epochs trained
  int64_t epochs = 0;      ///< the plan's
  double best_map = -1;    ///< the best VOC all-point mAP of a validation, -1 before the first
  int64_t best_epoch = -1, best_iteration = -1;
  std::map<std::string, double> last_validation;  ///< val/mAP, val/mAP07, val/loss of the latest validation
  std::vector<std::string> classes;
  std::vector<double> best_class_ap;  ///< per class, VOC all-point AP at the best validation (NaN: no ground truth)

  double images_per_second() const { return train_seconds > 0 ? static_cast<double>(images) / train_seconds : 0.0; }
};

std::string to_json(const RunSummary& summary);
/// Throws DataError naming `path` when `text` is not a summary.
RunSummary parse_run_summary(const std::string& text, const std::string& path);

}  // namespace ssd::engine
