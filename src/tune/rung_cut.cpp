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

GivenDecision decide_config_as_given(const Trial& given, const Trial& worst_kept, double epochs, const SearchSpace& space) {
  const auto signal = space.reported();
  const double kept_value = measure_at(worst_kept, epochs, signal).value, given_value = measure_at(given, epochs, signal).value;
  const auto who = fmt::format("the config as given (trial {})", given.id);
  if (!given.failure.empty() || std::isnan(given_value)) return {false, fmt::format("{} is cut: it gave no {}", who, signal)};
  const auto figures = fmt::format("{} {:.4g} (trial {}) against {:.4g}", signal, kept_value, worst_kept.id, given_value);
  if (space.monitor == "auto" && signal != "val/loss" && !(kept_value >= space.map_floor))
    return {true, fmt::format("{} goes on: {} has not moved yet ({})", who, signal, figures)};
  const double share = agreement(worst_kept, given, epochs, signal, space);
  const bool beaten = std::isnan(share) ? ranks_below(given_value, kept_value, space.maximises(signal)) : share >= space.confidence;
  const auto noise = std::isnan(share) ? std::string("its noise not measured") : util::percent(share) + " of the resamples";
  if (beaten) return {false, fmt::format("{} is cut: the worst kept beats it ({}) in {}", who, figures, noise)};
  return {true, fmt::format("{} goes on: not beaten by {} beyond its noise ({}, {})", who, signal, figures, noise)};
}

}  // namespace ssd::tune
