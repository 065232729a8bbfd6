#pragma once
// best.pt and its report: at a validation whose VOC all-point mAP beats every earlier one, the checkpoint is written
// to best.pt and the evaluation report (report/report.html, per-class table, curves, confusion matrix) rewritten for
// it, so a run ends with the report of its best checkpoint. Its state is the best mAP and its epoch.
#include <string>
#include <vector>

#include "ssd/engine/hook.h"

namespace ssd::engine {

class BestModelHook : public Hook {
 public:
  /// classes: data.classes; config_yaml: shown in the report; data_description: the validation set's, for its title.
  BestModelHook(std::string run_dir, std::vector<std::string> classes, std::string config_yaml, std::string data_description);
  std::string name() const override { return "best_model"; }
  void after_validation(TrainContext& context, const Validation& validation) override;
  std::string state() const override;
  void load_state(const std::string& state) override;
  double best() const { return best_; }  ///< -1 before any validation

 private:
  void write_report(const TrainContext& context, const Validation& validation) const;
  std::string run_dir_;
  std::vector<std::string> classes_;
  std::string config_yaml_, data_description_;
  double best_ = -1.0;
  int64_t best_epoch_ = -1;
};

}  // namespace ssd::engine
