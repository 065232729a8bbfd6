#pragma once
// A rung's cut: which trials go on, ranked by which figure, and whether that ranking stands above the noise. The
// boundary of a cut is the last trial kept against the first one cut; the cut stands above the noise when the kept one
// is better in at least `confidence` of the paired bootstrap resamples of the validation images (every trial scored on
// the same resampled images). With monitor auto the mAP is tried first, once the last trial kept has reached
// map_floor, and the validation loss after it: early in a run every mAP is near zero and its ranking says nothing of the
// run's end (even where it differs beyond its noise on the validation images), while the loss already separates the trials.
#include <string>
#include <vector>

#include "ssd/tune/search_space.h"
#include "ssd/tune/trial.h"

namespace ssd::tune {

struct Cut {
  std::string signal;          ///< the figure that ranked the trials
  std::vector<size_t> order;   ///< the rung's trials (indices into the trial list), best first by signal
  size_t keep = 0;             ///< how many go on (all of them when deferred)
  double agreement = NAN;      ///< share of resamples in which the last kept beats the first cut (NaN: not measured)
  bool above_noise = false;
  bool deferred = false;       ///< no signal decided the cut and space.undecided is defer: nobody is cut here
  std::string line;            ///< the decision as the tuner logs it
};

/// The cut of `alive` at `epochs` down to `keep` trials. may_defer: whether this cut may be deferred to a later rung.
Cut decide_cut(const std::vector<Trial>& trials, const std::vector<size_t>& alive, double epochs, size_t keep, const SearchSpace& space,
               bool may_defer);

/// Whether the config as given (Trial::given, baseline: search) goes on beside the trials a cut keeps, and why.
struct GivenDecision {
  bool goes_on = true;
  std::string line;  ///< the decision, as appended to the cut's line
};

/// The config as given is not one of the trials a cut ranks: it goes on beside the ones kept unless `worst_kept`, the
/// worst of them by the reported figure (space.reported()), beats it by that figure in at least `confidence` of the
/// resamples, that figure having moved (map_floor) under monitor auto. The loss may rank the searched trials early in
/// a run, but what does well early is not what ends best, and dropping the user's own recipe takes the figure the user
/// asked for.
GivenDecision decide_config_as_given(const Trial& given, const Trial& worst_kept, double epochs, const SearchSpace& space);

/// `alive` ranked by `signal` at `epochs`, best first (NaN last, ties in the given order).
std::vector<size_t> rank_by(const std::vector<Trial>& trials, std::vector<size_t> alive, double epochs, const std::string& signal,
                            const SearchSpace& space);

/// The share of paired resamples in which trial a beats trial b on `signal` at `epochs` (1 when only b failed; NaN when
/// either has no replicates).
double agreement(const Trial& a, const Trial& b, double epochs, const std::string& signal, const SearchSpace& space);

}  // namespace ssd::tune
