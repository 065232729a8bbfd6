#pragma once
// The range test's recommendation settled by evidence (ssd-train --range-test --race; range_test.race). The three rules
// can disagree by an order of magnitude, and which one is right depends on the data, the model and the optimizer. So
// when they disagree, every candidate LR is trained briefly on the config's own data and the candidates are cut by
// successive halving on range_test.race_monitor: the tuner (tune/tuner.h) with solver.lr on a grid of the candidates.
// The winner is the recommendation, printed with the figures that decided it.
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/range_test/sweep.h"
#include "ssd/tune/tuner.h"

namespace ssd::tune {

struct RaceCandidate {
  std::string rule;  ///< the rules that picked it ("steepest", "minimum/10 = valley", ...), or "midpoint"
  double lr = 0;
};

/// The picks in ascending LR (picks within 1% of each other are one candidate, their rules joined), and between two
/// neighbours more than `max_gap` apart their geometric midpoints, so that no two neighbours lie further apart.
std::vector<RaceCandidate> race_candidates(const std::vector<range_test::Suggestion>& picks, double max_gap = 3.0);

/// The largest pick over the smallest (1 for fewer than two).
double disagreement(const std::vector<range_test::Suggestion>& picks);

/// Whether range_test.race asks to race these picks: never; disagree, when they differ by more than 3x; always.
bool race_wanted(const config::RangeTestConfig& config, const std::vector<range_test::Suggestion>& picks);

struct RaceResult {
  std::vector<RaceCandidate> candidates;
  std::string monitor;              ///< what ranked them (range_test.race_monitor)
  TuneResult tuning;                ///< trial i is candidate i
  size_t winner = 0;                ///< index into candidates
  bool decided = false;             ///< the winner has a finite figure (false: every candidate failed)
  std::vector<std::string> lines;   ///< the table of the race, as printed
  std::string csv_path, png_path;   ///< <run_dir>/lr_race.csv and lr_race.png
  bool interrupted = false;         ///< SIGINT / SIGTERM: the same command resumes the race
};

/// How fast the config trains, as the range test saw it: what plans the race's rungs.
struct TrainingPace {
  int64_t iters_per_epoch = 0;  ///< the training data's batches per epoch (0: unknown)
  double seconds_per_iter = 0;  ///< a training step's wall time, data included (0: unknown)
};

/// The race's rungs: the last one trains range_test.race_epochs (0: a quarter of train.epochs), each one before it
/// race_eta times shorter, as many as halve the candidates down to the last pair. range_test.race_rungs restart (the
/// default): each rung trains every candidate from scratch with its whole schedule in the rung's epochs
/// (SearchSpace::rungs), so that it is judged after its LR has come down, as the real run ends; continue: every
/// candidate's schedule is planned over train.epochs and a rung trains its first part, the next going on from there
/// (judged at the peak LR, where the lower candidates lead). With iters_per_epoch known, the first rung is lengthened
/// (the later rungs with it, up to train.epochs) so that no candidate is judged inside its warm-up: restart to at least
/// twice the warm-up (which then ends before the first decay), continue to end an epoch after it. A last rung capped
/// at train.epochs may leave fewer rungs than the candidates would halve through.
/// With range_test.race_minutes and the pace known, the last rung is instead the longest (in whole epochs, up to
/// train.epochs) whose race trains within those minutes; ConfigError when both race_epochs and race_minutes are set.
SearchSpace race_space(const config::Config& config, const std::vector<RaceCandidate>& candidates, const TrainingPace& pace = {});

/// The epochs the race of `space` trains in all, over every candidate: each rung's survivors times the epochs the rung
/// adds (rungs continue from their checkpoints), or times the rung's epochs (rungs restart).
double race_epochs_in_all(const SearchSpace& space);

/// Races the candidates in <run_dir>/lr_race (resumable: the tuner's state and each candidate's checkpoints are there),
/// each trained with the config as given and the candidate's LR applied as the range test applies its recommendation
/// (range_test::apply_suggestion). ConfigError when the config has no validation data to decide on. pace: for
/// race_space; a resumed race keeps the rungs it began with. `runner` trains each candidate (train_trial when empty).
RaceResult race_lr(const config::Config& config, const std::vector<RaceCandidate>& candidates, c10::Device device,
                   const TrainingPace& pace = {}, const TrialRunner& runner = {});

}  // namespace ssd::tune
