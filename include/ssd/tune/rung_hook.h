#pragma once
// The tuner's hook in a trial's training run: at every validation it records val/mAP, val/mAP07 and val/loss, and the
// bootstrap replicates (eval/bootstrap.h) of the figures the tuner's cuts may rank by, so that the rung's result is the
// run's last validation with its noise.
#include <string>
#include <vector>

#include "ssd/engine/hook.h"
#include "ssd/tune/trial.h"

namespace ssd::tune {

class RungHook : public engine::Hook {
 public:
  /// signals: the figures whose replicates are drawn; replicates: how many (0: none).
  RungHook(std::vector<std::string> signals, int64_t replicates) : signals_(std::move(signals)), replicates_(replicates) {}
  std::string name() const override { return "tuner_rung"; }
  bool needs_image_losses() const override;
  void after_validation(engine::TrainContext&, const engine::Validation& v) override;
  const Measures& measures() const { return measures_; }

 private:
  std::vector<std::string> signals_;
  int64_t replicates_;
  Measures measures_;
};

}  // namespace ssd::tune
