#pragma once
// The builder layer (builder/model.h says what it is): everything a training run and the LR range test step through.
#include <memory>
#include <vector>

#include <c10/core/Device.h>
#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/data/dataset.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/model/ssd.h"
#include "ssd/optim/param_groups.h"
#include "ssd/runtime/mixed_precision.h"

namespace ssd::builder {

struct TrainingParts {
  std::unique_ptr<data::DetectionDataset> train_set;
  std::unique_ptr<data::DetectionDataset> val_set;  ///< null without data.val (or when not asked for)
  model::Ssd model{nullptr};                        ///< on the device, in runtime.memory_format, in training mode
  std::vector<optim::ParamGroup> groups;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<loss::DetectionLoss> loss;
  std::unique_ptr<runtime::MixedPrecision> precision;
};

struct TrainingRequest {
  bool new_run = true;        ///< true: the initial weights (builder::initial_model); false: random, a checkpoint follows
  bool with_val = true;       ///< read data.val too
  bool split_biases = false;  ///< biases in a group of their own (schedule.warmup.bias_lr)
};

/// Data first (a config that points at a missing data set fails before any model is built), then the model, checked
/// against train.batch_size, placed on `device`; its groups, optimizer, loss and mixed precision.
TrainingParts training(const config::Config& config, c10::Device device, const TrainingRequest& request);

}  // namespace ssd::builder
