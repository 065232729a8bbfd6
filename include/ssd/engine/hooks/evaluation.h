#pragma once
// Validation: VOC all-point and VOC07 mAP and the validation loss on data.val, after every train.eval_period-th epoch
// and at the run's end; each validation is handed to every hook (TrainContext::publish_validation), which is how
// the LR schedule, the metrics log, early stopping, best.pt and last.pt hear of it. Its state is the iteration of
// the last validation, so a run killed before a due validation was done (it is written after last.pt) does it
// when it resumes, before training on.
#include <map>
#include <string>

#include "ssd/data/dataset.h"
#include "ssd/engine/hook.h"
#include "ssd/eval/evaluator.h"

namespace ssd::engine {

class EvaluationHook : public Hook {
 public:
  /// val_set: the data set to validate on (kept by the caller); eval_period: train.eval_period (0 = only at the end).
  EvaluationHook(const data::DetectionDataset& val_set, eval::EvalOptions options, int64_t eval_period);
  std::string name() const override { return "evaluation"; }
  /// Every process evaluates its share of the validation set and receives the whole result (eval::predict), so that
  /// the hooks of every process hear of the validation (the LR schedule's plateau reduction).
  bool every_rank() const override { return true; }
  void before_train(TrainContext& context) override;
  void after_epoch(TrainContext& context) override;
  std::string state() const override { return std::to_string(validated_at_); }
  void load_state(const std::string& state) override;

  /// The last validation's metrics (val/mAP, val/mAP07, val/loss); empty before one.
  const std::map<std::string, double>& last() const { return last_; }

 private:
  /// A validation is due at an epoch's end every eval_period epochs, and at the run's end.
  bool due(const TrainContext& context, bool at_epoch_end) const;
  void validate(TrainContext& context);
  const data::DetectionDataset& val_set_;
  eval::EvalOptions options_;
  int64_t eval_period_;
  int64_t validated_at_ = -1;  ///< the iteration of the last validation
  std::map<std::string, double> last_;
};

}  // namespace ssd::engine
