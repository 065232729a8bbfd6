#pragma once
// ssd-tune: successive halving (Li et al. 2017, and Hyperband's brackets of it) over a search space. Every
// trial is a real, shortened training run in its own directory; at each rung the better 1/eta continue from
// their own checkpoints, the rest stop. Every trial's schedule is planned over the whole run (schedule_epochs) and a
// rung trains its first part (train.stop_epoch): a short rung sees the warm-up and LR0 of the real run, not a whole
// schedule compressed into it; a first rung that would end inside a trial's warm-up is lengthened to end an epoch after
// it. Each cut says whether it stands above the noise of its figure (tune/rung_cut.h), and the tuning ends with a
// verdict against the config as given (tune/verdict.h).
// The tuner's state (tuner.json) is written after every trial, so an interrupted tuning resumes where it was.
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/tune/search_space.h"
#include "ssd/tune/trial.h"
#include "ssd/tune/verdict.h"

namespace ssd::tune {

struct TuneResult {
  std::vector<Trial> trials;
  std::vector<size_t> ranking;  ///< trial indices, best first (by the reported figure at the largest budget each reached)
  std::vector<std::string> decisions;  ///< every cut as logged: by which figure, and whether above the noise
  std::optional<Verdict> verdict;      ///< the search against the config as given (none: baseline none)
  std::string leaderboard_csv, leaderboard_png, best_config;  ///< empty when interrupted
  bool interrupted = false;  ///< stopped by SIGINT / SIGTERM; tuner.json holds the state to resume from
};

/// One bracket of successive halving: trials started, the first rung's budget (epochs), and its number of rungs.
struct Bracket {
  int64_t trials = 0;
  double first_budget = 0;
  int64_t rungs = 0;
};

/// The brackets of `space`: Hyperband's s_max + 1 brackets (Li et al. 2017, with R = max_epochs / min_epochs), or the
/// one bracket of plain successive halving.
std::vector<Bracket> plan_brackets(const SearchSpace& space);

/// How many trials each rung of a bracket started with `trials` plans to train: the better 1/eta of the rung before,
/// at least one (a deferred cut is made up at the next rung).
std::vector<size_t> planned_survivors(size_t trials, double eta, int64_t rungs);

/// What training one trial to its budget gave.
struct TrialRun {
  Measures measures;         ///< the run's last validation: val/mAP, val/mAP07, val/loss, the signals with replicates
  double metric = NAN;       ///< when measures is empty: the reported figure (space.reported()); NaN: none
  bool interrupted = false;  ///< stopped by SIGINT / SIGTERM (the run wrote its checkpoint)
};

/// Trains a trial's config (its parameters, train.run_dir and train.epochs set) to its end, continuing the checkpoint in
/// its run directory when there is one, and measures the space's signals with space.bootstrap replicates. Throws as the
/// Trainer does: ConfigError, DataError and CheckpointError end the tuning, any other std::runtime_error (a diverged
/// loss) fails that trial only.
using TrialRunner = std::function<TrialRun(const config::Config& config, const SearchSpace& space, c10::Device device)>;

/// The runner of real trials: engine::Trainer with a tune/rung_hook.h.
TrialRun train_trial(const config::Config& config, const SearchSpace& space, c10::Device device);

/// Runs (or resumes, when <out>/tuner.json exists) the tuning of `base` over `space`, in `out`. A resumed tuning whose
/// trials were drawn with other parameters (another space or seed) is a ConfigError. `runner` trains each trial
/// (train_trial when empty). train_images: the training set's images (0: unknown), from which each trial's warm-up is
/// known in epochs, so that no first rung ends inside one.
TuneResult tune(const config::Config& base, const SearchSpace& space, const std::string& out, c10::Device device,
                const TrialRunner& runner = {}, int64_t train_images = 0);

/// The config of a trial at a rung of `budget` epochs: base with its parameters and run directory, its schedule planned
/// over `schedule_epochs` (train.epochs) and the run stopped at the rung's end (train.stop_epoch); with
/// `whole_schedule` (SearchSpace::rungs restart), the rung's own run of `budget` epochs in <run_dir>/rung_<epochs>.
config::Config trial_config(const config::Config& base, const Trial& trial, double budget, double schedule_epochs,
                            bool whole_schedule = false);

/// The first rung's budget for these trials: `first`, lengthened (up to `most`) to end at least one epoch after the
/// longest of their warm-ups when it would end inside one. train_images 0: `first`.
double first_rung_after_warmup(const config::Config& base, const std::vector<Trial>& trials, double first, double most,
                               int64_t train_images);

}  // namespace ssd::tune
