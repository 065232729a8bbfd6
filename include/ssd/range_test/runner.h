#pragma once
// ssd-train --range-test: the LR range test on the config's own model, data and augmentation, run by the training loop
// with the sweep as its hook (range_test/sweep_hook.h). The model and the optimizer are restored to their state before
// the sweep; outputs go to <run_dir>/lr_find.{csv,png}.
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <torch/optim/optimizer.h>

#include "ssd/config/config.h"
#include "ssd/data/dataset.h"
#include "ssd/model/ssd.h"
#include "ssd/optim/param_groups.h"
#include "ssd/range_test/sweep.h"

namespace ssd::range_test {

struct Report {
  std::vector<RangeTestResult> sweeps;   ///< one per repeat (seeds runtime.seed, +1, ...)
  std::vector<Suggestions> suggestions;  ///< one per sweep
  std::vector<Suggestion> picks;         ///< each rule that found something: its median LR over the repeats
  Suggestion recommended;                ///< the recommended rule, median LR over the repeats
  std::string reason;
  int64_t iters_per_epoch = 0;           ///< the training data's batches per epoch (the race plans its rungs with it)
  double seconds_per_iter = 0;           ///< a training step's wall time, data included (SweepHook::seconds_per_step, last sweep)
  std::vector<std::string> lines;        ///< the printed report
  std::string csv_path, png_path;
};

/// Runs `repeats` sweeps on the model a new run of `config` starts from, and writes the CSV / PNG of the first.
/// Throws like the trainer for bad data or config.
Report run(const config::Config& config, c10::Device device, int repeats = 1);

/// The same on a given model and optimizer (over `groups`, whose lr_mult scale the swept LR); both are left exactly
/// as they were before, optimizer state included.
Report run(const config::Config& config, model::Ssd& model, torch::optim::Optimizer& optimizer, const std::vector<optim::ParamGroup>& groups,
           const data::DetectionDataset& train_set, c10::Device device, int repeats);

/// The config with the recommendation applied: solver.lr (and cyclic max_lr / base_lr = max_lr / 4, or one_cycle's
/// max_lr, when those schedules are selected).
config::Config apply_suggestion(config::Config config, double lr, std::vector<std::string>* notes = nullptr);

}  // namespace ssd::range_test
