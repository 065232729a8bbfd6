#pragma once
// The tuner's search space file (ssd-tune --space S.yaml): the method, its budgets (schedule_epochs: the run each
// trial's schedule is planned for, which the rungs train the first part of), the metric, and one
// distribution per config key: loguniform(lo, hi), uniform(lo, hi), int(lo, hi), choice([a, b, ...]) (drawn at
// random), grid([a, b, ...]) (trial i takes entry i mod n: every value is tried).
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace ssd::tune {

struct Distribution {
  std::string key;     ///< config key, e.g. solver.lr
  std::string kind;    ///< loguniform, uniform, int, choice, grid
  double lo = 0, hi = 0;
  std::vector<std::string> choices;  ///< YAML text of each choice
  /// The value of trial number `trial`, as the YAML text of a --set override.
  std::string sample(std::mt19937_64& rng, int64_t trial = 0) const;
};

struct SearchSpace {
  std::string method = "successive_halving";  ///< or hyperband
  int64_t trials = 9;           ///< successive halving: trials started (n)
  double min_epochs = 1;        ///< r: the first rung's budget
  double max_epochs = 9;        ///< R: the largest budget (hyperband's R; successive halving stops there)
  double eta = 3;               ///< keep the best 1/eta at each rung
  /// The run every trial's schedule is planned for, in epochs; 0 = max_epochs. With rungs continue (ssd-tune's), a
  /// rung trains the first part of that run and stops (train.stop_epoch): its warm-up and decays fall where they will
  /// in the real run, instead of a whole schedule compressed into the rung.
  double schedule_epochs = 0;
  /// continue: a rung goes on from the trial's checkpoint at the last rung, the schedule planned over schedule_epochs;
  /// restart: each rung trains the trial from scratch with its whole schedule in the rung's epochs (warm-up, decays and
  /// the end of the LR all inside the rung; its own run directory <trial>/rung_<epochs>), at the cost of training again
  /// what the rung before trained.
  std::string rungs = "continue";
  /// What ranks the trials at a cut: val/mAP, val/mAP07, val/loss, or auto: val/mAP where it has moved (map_floor)
  /// and separates the trials beyond its noise, else val/loss where that does (early rungs).
  std::string monitor = "auto";
  std::string mode = "auto";    ///< auto: max for the mAPs, min for val/loss
  /// A cut stands above the noise when the last trial kept beats the first one cut in at least this share of the
  /// paired bootstrap resamples of the validation images.
  double confidence = 0.9;
  /// monitor auto: the mAP ranks only once the last trial kept has reached it. Below it every trial is at the start of
  /// learning, where an mAP can differ beyond its noise on the validation images and still say nothing of the run's end.
  double map_floor = 0.05;
  int64_t bootstrap = 200;      ///< bootstrap resamples per validation (0: the noise is not measured)
  /// A cut that no signal decides above the noise: defer (no trial is cut there; the next rung cuts to what it would
  /// have kept, at the cost of training them all to it) or cut (by the last signal tried, marked below the noise).
  std::string undecided = "defer";
  /// The verdict's reference, the config as given: search (trial 0 of the first bracket, one of `trials`: trained
  /// and cut like the others, except that only the reported figure, once it has moved, beaten beyond its noise, cuts
  /// it), train (trained apart, to the best trial's budget, in <out>/baseline), none, or the run directory of an
  /// existing run of it (its metrics.csv).
  std::string baseline = "search";
  /// Whether the config as given is one of the trials.
  bool given_in_search() const { return baseline == "search"; }
  int64_t seed = 0;
  bool lr_from_range_test = false;  ///< solver.lr's interval from an LR range test on the base config
  std::vector<Distribution> params;
  /// The figures a cut may rank by, in the order they are tried.
  std::vector<std::string> signals() const;
  /// The figure reported per trial (the leaderboard, best.yaml, the verdict): the monitor, val/mAP for auto.
  std::string reported() const { return monitor == "auto" ? "val/mAP" : monitor; }
  bool maximises(const std::string& signal) const { return mode == "max" || (mode == "auto" && signal != "val/loss"); }
  bool maximise() const { return maximises(reported()); }
};

/// Reads and checks a search space file; ConfigError naming the file, line and key for anything wrong
/// (unknown config keys included).
SearchSpace load_search_space(const std::string& path);

}  // namespace ssd::tune
