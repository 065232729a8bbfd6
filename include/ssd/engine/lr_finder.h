#pragma once
// ssd-train --find-lr: the LR range test on the config's own model, data and augmentation. The model and the
// optimizer are restored to their state before the sweep; outputs go to <run_dir>/lr_find.{csv,png}.
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/data/dataset.h"
#include "ssd/lr/range_test.h"
#include "ssd/model/ssd.h"
#include "ssd/optim/param_groups.h"

namespace ssd::engine {

struct LrFindReport {
  std::vector<lr::RangeTestResult> sweeps;      ///< one per repeat (seeds runtime.seed, +1, ...)
  std::vector<lr::Suggestions> suggestions;     ///< one per sweep
  lr::Suggestion recommended;                   ///< the recommended rule, median LR over the repeats
  std::string reason;
  std::vector<std::string> lines;               ///< the printed report
  std::string csv_path, png_path;
};

/// Runs `repeats` sweeps and writes the CSV / PNG of the first. Throws like the trainer for bad data or config.
LrFindReport find_lr(const config::Config& config, c10::Device device, int repeats = 1);

/// The same on a given model and optimizer (over `groups`, whose lr_mult scale the swept LR); both are left exactly
/// as they were before, optimizer state included.
LrFindReport find_lr(const config::Config& config, model::Ssd& model, torch::optim::Optimizer& optimizer,
                     const std::vector<optim::ParamGroup>& groups, const data::DetectionDataset& train_set, c10::Device device,
                     int repeats);

/// The config with the recommendation applied: solver.lr (and cyclic max_lr / base_lr = max_lr / 4, or one_cycle's
/// max_lr, when those schedules are selected).
config::Config apply_suggestion(config::Config config, double lr, std::vector<std::string>* notes = nullptr);

}  // namespace ssd::engine
