#include "ssd/tune/rung_hook.h"

#include <algorithm>

#include "ssd/eval/bootstrap.h"
#include "ssd/eval/evaluator.h"

namespace ssd::tune {

namespace {
// The same seed for every trial: replicate r resamples the same validation images in each, so trials compare paired.
constexpr uint64_t kBootstrapSeed = 0x7e5e1ec7;
}  // namespace

bool RungHook::needs_image_losses() const {
  return replicates_ > 0 && std::find(signals_.begin(), signals_.end(), "val/loss") != signals_.end();
}

void RungHook::after_validation(engine::TrainContext&, const engine::Validation& v) {
  measures_.clear();
  for (const auto& [name, value] : v.metrics) measures_[name].value = value;
  if (!v.report || replicates_ <= 0) return;
  const auto& r = *v.report;
  const auto replicates = static_cast<int>(replicates_);
  const auto classes = static_cast<int64_t>(r.voc.ap.size());
  for (const auto& signal : signals_) {
    if (!measures_.count(signal)) continue;
    auto& m = measures_[signal];
    if (signal == "val/mAP" || signal == "val/mAP07")
      m.replicates = eval::bootstrap_voc_map(r.ground_truth, r.detections, classes, signal == "val/mAP07", replicates, kBootstrapSeed);
    else if (signal == "val/loss")
      m.replicates = eval::bootstrap_mean_loss(r.image_losses, replicates, kBootstrapSeed);
  }
}

}  // namespace ssd::tune
