#pragma once
// A tuner trial and what its rungs measured: every validation figure with its noise (its bootstrap over the
// validation images, eval/bootstrap.h), so that a cut can say whether it stands above the noise.
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ssd::tune {

/// A validation figure and its paired bootstrap replicates (empty when its noise was not measured).
struct Measure {
  double value = NAN;
  std::vector<double> replicates;
};

/// val/mAP, val/mAP07 and val/loss of one validation.
using Measures = std::map<std::string, Measure>;

struct RungResult {
  double epochs = 0;
  Measures measures;  ///< every figure of the rung's validation (empty: the run gave none, it ranks last)

  /// The figure `signal` (NaN when the validation did not give it).
  double value(const std::string& signal) const;
};

struct Trial {
  int64_t id = 0;
  int64_t bracket = 0;
  std::vector<std::pair<std::string, std::string>> params;  ///< key -> YAML value
  std::vector<RungResult> results;
  std::string run_dir;
  std::string failure;  ///< why the trial stopped with an error, "" otherwise
  double seconds = 0;   ///< wall time spent training and validating it
  bool given = false;   ///< the config as given, entered in the search (baseline: search): no parameters of its own
};

/// "trial N (key=value, ...)", or "trial N (the config as given)".
std::string describe_trial(const Trial& t);

/// "key=value, key=value" of a trial's parameters.
std::string describe_params(const std::vector<std::pair<std::string, std::string>>& params);

/// A budget in whole epochs, as trials train it (at least 1).
int64_t whole_epochs(double epochs);

/// The trial's result at `epochs` (whole epochs), or null.
const RungResult* result_at(const Trial& t, double epochs);

/// The figure `signal` at `epochs` (value NaN and no replicates when the trial has none there).
Measure measure_at(const Trial& t, double epochs, const std::string& signal);

/// The largest budget the trial reached, in whole epochs (0: none): what it cost, since every rung continues the one
/// before it.
int64_t epochs_trained(const Trial& t);

}  // namespace ssd::tune
