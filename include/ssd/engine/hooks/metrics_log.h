#pragma once
// metrics.csv: a train row every train.log_period steps (mean loss terms, LR, images per second, data wait) and a val
// row per validation, each with the seconds since the run started. A resumed run keeps the rows up to its checkpoint
// and drops those a killed run wrote after it; its clock goes on from the checkpoint's (the hook's state), as
// summary.json's does.
#include <chrono>
#include <memory>

#include "ssd/engine/hook.h"
#include "ssd/engine/hooks/step_window.h"
#include "ssd/engine/metrics_log.h"

namespace ssd::engine {

class MetricsLogHook : public Hook {
 public:
  MetricsLogHook(std::string path, int64_t log_period);
  std::string name() const override { return "metrics_log"; }
  void before_train(TrainContext& context) override;
  void after_step(TrainContext& context) override;
  void after_validation(TrainContext& context, const Validation& validation) override;
  std::string state() const override;
  void load_state(const std::string& state) override;
  /// The rows so far (the plot draws them); null before the run starts.
  const MetricsLog* log() const { return log_.get(); }

 private:
  std::string path_;
  int64_t log_period_;
  std::unique_ptr<MetricsLog> log_;
  StepWindow window_;
  double seconds() const;  ///< the rows' time_s: since the run started, over its sessions
  double time_before_ = 0;
  bool time_restored_ = false;
  std::chrono::steady_clock::time_point session_start_ = std::chrono::steady_clock::now();
};

}  // namespace ssd::engine
