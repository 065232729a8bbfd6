#include "ssd/tune/verdict.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "ssd/engine/metrics_log.h"
#include "ssd/tune/rung_cut.h"
#include "ssd/util/error.h"
#include "ssd/util/percent.h"

namespace fs = std::filesystem;

namespace ssd::tune {

namespace {

std::string minutes(double seconds) { return seconds > 0 ? fmt::format(", {:.0f} min", seconds / 60) : ""; }

}  // namespace

Verdict judge(const std::vector<Trial>& trials, size_t winner, const Trial& baseline, const std::string& source, const SearchSpace& space) {
  Verdict v;
  v.signal = space.reported();
  v.winner = winner;
  v.baseline = baseline;
  v.source = source;
  const auto& best = trials[winner];
  v.epochs = epochs_trained(best);
  const auto ours = measure_at(best, static_cast<double>(v.epochs), v.signal);
  const auto theirs = measure_at(baseline, static_cast<double>(v.epochs), v.signal);
  v.search = ours.value, v.reference = theirs.value;
  const bool maximise = space.maximises(v.signal);
  v.beaten = std::isfinite(v.search) && (std::isnan(v.reference) || (maximise ? v.search > v.reference : v.search < v.reference));
  v.agreement = agreement(best, baseline, static_cast<double>(v.epochs), v.signal, space);
  v.above_noise = v.beaten && v.agreement >= space.confidence;
  for (const auto& t : trials) v.search_epochs += epochs_trained(t), v.search_seconds += t.seconds;
  v.baseline_epochs = epochs_trained(baseline), v.baseline_seconds = baseline.seconds;

  const auto noise = std::isnan(v.agreement)
                         ? std::string("its noise not measured")
                         : fmt::format("better in {} of the bootstrap resamples of the validation images: {}", util::percent(v.agreement),
                                       v.agreement >= space.confidence         ? "above the noise"
                                       : v.agreement <= 1 - space.confidence   ? "the config as given is better beyond the noise"
                                                                               : "within the noise");
  v.lines.push_back(fmt::format("verdict at {} epochs, by {}:", v.epochs, v.signal));
  v.lines.push_back(fmt::format("  search's best (trial {}: {}): {:.4g}", best.id, describe_params(best.params), v.search));
  v.lines.push_back(baseline.failure.empty() ? fmt::format("  the config as given ({}): {:.4g}", source, v.reference)
                                             : fmt::format("  the config as given ({}): failed: {}", source, baseline.failure));
  v.lines.push_back(fmt::format("  difference {:+.3g}, the search's best {}", v.search - v.reference, noise));
  v.lines.push_back(baseline.given ? fmt::format("  compute: the search {} epochs of training{}, the config as given's {}{} among them",
                                                 v.search_epochs, minutes(v.search_seconds), v.baseline_epochs, minutes(v.baseline_seconds))
                                   : fmt::format("  compute: the search {} epochs of training{}, the config as given {}{}", v.search_epochs,
                                                 minutes(v.search_seconds), v.baseline_epochs, minutes(v.baseline_seconds)));
  v.lines.push_back(!v.beaten              ? "  the search did not beat the config as given: best.yaml is the config as given"
                    : v.above_noise         ? "  the search beat the config as given: best.yaml is its best trial"
                    : std::isnan(v.agreement) ? "  the search's best is ahead (its noise not measured): best.yaml is its best trial"
                                            : "  the search's best is ahead, but not beyond the noise: best.yaml is its best trial; "
                                              "the config as given is as good a choice");
  return v;
}

Trial baseline_from_run(const std::string& run_dir, int64_t epochs) {
  const auto path = (fs::path(run_dir) / "metrics.csv").string();
  if (!fs::exists(path)) throw ConfigError("baseline: " + path + " not found (the search space's baseline names a run directory of the config as given)");
  Trial t;
  t.id = -1;
  t.run_dir = run_dir;
  for (const auto& row : engine::MetricsLog::read(path)) {
    if (row.kind != "val" || std::llround(row.epoch) != epochs) continue;
    RungResult r;
    r.epochs = static_cast<double>(epochs);
    r.measures["val/mAP"].value = row.map_voc;
    r.measures["val/mAP07"].value = row.map_voc07;
    r.measures["val/loss"].value = row.val_loss;
    t.results = {r};  // the last validation at that epoch (a resumed run may have logged it twice)
  }
  if (t.results.empty())
    throw ConfigError("baseline: " + path + " has no validation at epoch " + std::to_string(epochs) +
                      ", the budget of the search's best; train the config as given that long, or set baseline: train");
  return t;
}

}  // namespace ssd::tune
