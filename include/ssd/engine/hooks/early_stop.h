#pragma once
// Early stopping (early_stop.*): after each validation the monitored metric is fed to EarlyStopping
// (engine/early_stopping.h); when its patience runs out the run is asked to stop. With restore_best_weights, the
// weights of the best validation are kept in memory and, at an early stop, loaded into the model and written to
// final.pt (last.pt keeps the last ones). Its state is EarlyStopping's.
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/engine/early_stopping.h"
#include "ssd/engine/hook.h"

namespace ssd::engine {

class EarlyStopHook : public Hook {
 public:
  EarlyStopHook(const config::EarlyStopConfig& config, std::string run_dir);
  std::string name() const override { return "early_stop"; }
  void after_validation(TrainContext& context, const Validation& validation) override;
  void after_train(TrainContext& context) override;
  std::string state() const override { return early_stop_.state(); }
  void load_state(const std::string& state) override { early_stop_.load_state(state); }
  bool stopped() const { return stopped_; }

 private:
  EarlyStopping early_stop_;
  bool restore_best_weights_;
  std::string run_dir_;
  bool stopped_ = false;
  std::vector<at::Tensor> best_weights_;  ///< parameters then buffers, at the best validation
};

}  // namespace ssd::engine
