#include "ssd/tune/rung_cut.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "ssd/eval/bootstrap.h"
#include "ssd/util/percent.h"

namespace ssd::tune {

namespace {

// true when a ranks below b; NaN ranks last.
bool ranks_below(double a, double b, bool maximise) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  return maximise ? a < b : a > b;
}

}  // namespace

std::vector<size_t> rank_by(const std::vector<Trial>& trials, std::vector<size_t> alive, double epochs, const std::string& signal,
                            const SearchSpace& space) {
  std::stable_sort(alive.begin(), alive.end(), [&](size_t a, size_t b) {
    return ranks_below(measure_at(trials[b], epochs, signal).value,
                       measure_at(trials[a], epochs, signal).value, space.maximises(signal));
  });
  return alive;
}

double agreement(const Trial& a, const Trial& b, double epochs, const std::string& signal, const SearchSpace& space) {
  const auto ma = measure_at(a, epochs, signal), mb = measure_at(b, epochs, signal);
  if (std::isnan(mb.value) && !std::isnan(ma.value)) return 1.0;  // b failed or gave nothing: no noise in that
  return eval::share_better(ma.replicates, mb.replicates, space.maximises(signal));
}

Cut decide_cut(const std::vector<Trial>& trials, const std::vector<size_t>& alive, double epochs, size_t keep, const SearchSpace& space,
               bool may_defer) {
  Cut cut;
  cut.keep = std::min(keep, alive.size());
  std::string tried;
  for (const auto& signal : space.signals()) {
    cut.signal = signal;
    cut.order = rank_by(trials, alive, epochs, signal, space);
    if (cut.keep == 0 || cut.keep >= cut.order.size()) {
      cut.line = fmt::format("no cut: {} trials, {} go on", cut.order.size(), cut.order.size());
      return cut;
    }
    const auto& kept = trials[cut.order[cut.keep - 1]];
    const auto& dropped = trials[cut.order[cut.keep]];
    const double kept_value = measure_at(kept, epochs, signal).value;
    if (space.monitor == "auto" && signal != "val/loss" && !(kept_value >= space.map_floor)) {
      tried += fmt::format("; {} has not moved yet ({:.4g} for the last trial kept, below map_floor {:g})", signal, kept_value, space.map_floor);
      continue;
    }
    cut.agreement = agreement(kept, dropped, epochs, signal, space);
    cut.above_noise = cut.agreement >= space.confidence;
    const auto figures = fmt::format("{} {:.4g} (trial {}) against {:.4g} (trial {})", signal, kept_value, kept.id,
                                     measure_at(dropped, epochs, signal).value, dropped.id);
    if (std::isnan(cut.agreement)) {
      // Without replicates (bootstrap 0, or a run that gave none) the noise is unknown: rank by the first signal.
      cut.order = rank_by(trials, alive, epochs, space.signals().front(), space);
      cut.signal = space.signals().front();
      cut.line = fmt::format("cut {} -> {} by {}, its noise not measured{}", alive.size(), cut.keep, cut.signal, tried);
      return cut;
    }
    if (cut.above_noise) {
      cut.line = fmt::format("cut {} -> {} by {}: the last kept beats the first cut ({}) in {} of the resamples, above the noise{}",
                             alive.size(), cut.keep, signal, figures, util::percent(cut.agreement), tried);
      return cut;
    }
    tried += fmt::format("; {} did not separate them ({}: {})", signal, figures, util::percent(cut.agreement));
  }
  if (may_defer && space.undecided == "defer") {
    cut.deferred = true;
    cut.keep = alive.size();
    cut.line = fmt::format("no cut: no figure separates the trials beyond its noise{}; all {} go on, cut at the next rung", tried,
                           alive.size());
    return cut;
  }
  cut.line = fmt::format("cut {} -> {} by {}, BELOW the noise (a guess){}", alive.size(), cut.keep, cut.signal, tried);
  return cut;
}

}  // namespace ssd::tune
