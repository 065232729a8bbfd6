#include "ssd/builder/training.h"

#include <spdlog/spdlog.h>

#include "ssd/builder/data.h"
#include "ssd/builder/model.h"
#include "ssd/builder/solver.h"
#include "ssd/runtime/runtime.h"

namespace ssd::builder {

TrainingParts training(const config::Config& c, c10::Device device, const TrainingRequest& request) {
  TrainingParts parts;
  parts.train_set = train_set(c);
  spdlog::info("train data: {} images from {}", parts.train_set->size(), parts.train_set->description());
  if (request.with_val) parts.val_set = val_set(c);
  if (parts.val_set) spdlog::info("val data: {} images from {}", parts.val_set->size(), parts.val_set->description());
  if (request.new_run) {
    parts.model = initial_model(c);
  } else {
    runtime::seed_everything(static_cast<uint64_t>(c.runtime.seed));  // as a new run does: the same random state after it
    parts.model = model(c);
  }
  model::require_training_batch(*parts.model, c.train.batch_size);
  runtime::place_model(*parts.model, c.runtime.memory_format, c.train.amp, device);
  parts.precision = std::make_unique<runtime::MixedPrecision>(c.train, device);
  parts.groups = param_groups(c, *parts.model, request.split_biases);
  parts.optimizer = optimizer(c, parts.groups);
  parts.loss = loss::make_loss(c.loss);
  parts.model->train();
  return parts;
}

}  // namespace ssd::builder
