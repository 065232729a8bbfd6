#pragma once
// training.png: loss, LR and mAP against the iteration (from metrics.csv's rows), the schedule's phase boundaries
// dashed; redrawn after every epoch, and at the end of a run when its last drawing is older than its last iteration
// (a resume that validated, or that found nothing left to train).
#include <cstdint>
#include <vector>

#include "ssd/engine/hook.h"
#include "ssd/engine/hooks/metrics_log.h"

namespace ssd::engine {

class PlotHook : public Hook {
 public:
  /// metrics: the hook whose rows are drawn (it runs before this one); boundaries: the schedule's phase starts.
  PlotHook(std::string path, const MetricsLogHook& metrics, std::vector<int64_t> boundaries);
  std::string name() const override { return "plot"; }
  void after_epoch(TrainContext& context) override;
  void after_train(TrainContext& context) override;

 private:
  void draw(const TrainContext& context);
  std::string path_;
  const MetricsLogHook& metrics_;
  std::vector<int64_t> boundaries_;
  int64_t drawn_at_ = -1;
};

}  // namespace ssd::engine
