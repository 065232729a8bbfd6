#pragma once
// The tuning's verdict: the search's best against the config as given (the baseline), trained to the same budget, with
// the noise of the difference (paired bootstrap over the validation images) and the compute each took. A search that
// does not beat the config as given says so, and best.yaml is then that config.
#include <cstdint>
#include <string>
#include <vector>

#include "ssd/tune/search_space.h"
#include "ssd/tune/trial.h"

namespace ssd::tune {

struct Verdict {
  std::string signal;          ///< the figure compared (space.reported())
  int64_t epochs = 0;          ///< the budget both are compared at
  size_t winner = 0;           ///< the search's best (index into the trials)
  Trial baseline;              ///< the config as given: a trial of the search (given), or trained or read apart (id -1)
  std::string source;          ///< where the baseline's figure comes from
  double search = NAN, reference = NAN;
  double agreement = NAN;      ///< share of resamples in which the search's best beats the baseline (NaN: not measured)
  bool beaten = false;         ///< the search's best is better than the baseline
  bool above_noise = false;    ///< ... in at least space.confidence of the resamples
  /// Epochs of training each took (every trial's for the search, the config as given's among them when it was one).
  int64_t search_epochs = 0, baseline_epochs = 0;
  double search_seconds = 0, baseline_seconds = 0;
  std::vector<std::string> lines;  ///< the verdict as printed
};

/// The verdict of the search's best trial `winner` (at its last budget) against `baseline` (its result at that budget).
Verdict judge(const std::vector<Trial>& trials, size_t winner, const Trial& baseline, const std::string& source, const SearchSpace& space);

/// An existing run of the config as given (space.baseline a run directory): its validation at `epochs` from its
/// metrics.csv, as a trial with that one result (no replicates). ConfigError naming the file when it has none there.
Trial baseline_from_run(const std::string& run_dir, int64_t epochs);

}  // namespace ssd::tune
