#include "ssd/engine/hooks/evaluation.h"

#include <spdlog/spdlog.h>

#include "ssd/util/error.h"

namespace ssd::engine {

EvaluationHook::EvaluationHook(const data::DetectionDataset& val_set, eval::EvalOptions options, int64_t eval_period)
    : val_set_(val_set), options_(std::move(options)), eval_period_(eval_period) {}

void EvaluationHook::load_state(const std::string& state) {
  try {
    validated_at_ = std::stoll(state);
  } catch (const std::exception&) {
    throw CheckpointError("evaluation state '" + state + "' is not an iteration");
  }
}

bool EvaluationHook::due(const TrainContext& c, bool at_epoch_end) const {
  if (c.finished()) return true;
  return at_epoch_end && eval_period_ > 0 && c.position.epoch % eval_period_ == 0;
}

void EvaluationHook::before_train(TrainContext& c) {
  // A resume where the run before it stopped: if a validation was due here and not done (killed during it), do it now.
  const auto& at = c.position;
  const bool at_epoch_end = at.epoch > 0 && at.batch_in_epoch == 0;
  if (at.iteration > 0 && validated_at_ != at.iteration && due(c, at_epoch_end)) {
    spdlog::info("the validation due at iteration {} was not finished before the run stopped: validating now", at.iteration);
    validate(c);
  }
}

void EvaluationHook::after_epoch(TrainContext& c) {
  if (!c.interrupted && due(c, c.epoch_finished)) validate(c);
}

void EvaluationHook::validate(TrainContext& c) {
  const auto report = eval::evaluate(c.model, val_set_, options_, c.device);
  spdlog::info("validation after epoch {} (iteration {}): VOC all-point mAP {:.4f}, VOC07 11-point mAP {:.4f}, loss {:.4f}",
               c.position.epoch, c.position.iteration, report.voc.map, report.voc07.map, report.loss);
  validated_at_ = c.position.iteration;  // before the hooks hear of it: last.pt, written among them, records it
  last_ = {{"val/mAP", report.voc.map}, {"val/mAP07", report.voc07.map}, {"val/loss", report.loss}};
  c.publish_validation({last_, &report});
  c.model->train();
}

}  // namespace ssd::engine
