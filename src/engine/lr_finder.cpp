#include "ssd/engine/lr_finder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <torch/torch.h>

#include "ssd/data/augment.h"
#include "ssd/data/dataset.h"
#include "ssd/data/loader.h"
#include "ssd/engine/runtime.h"
#include "ssd/engine/train_step.h"
#include "ssd/interop/file_normalisation.h"
#include "ssd/interop/initial_weights.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/model/ssd.h"
#include "ssd/optim/optimizer.h"
#include "ssd/optim/param_groups.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::engine {

namespace {

// Model and optimizer state in memory, so that the sweep leaves both exactly as they were.
struct Snapshot {
  std::ostringstream model, optimizer;
  std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> options;  // load() does not restore group options (LR)
};

void take(Snapshot& s, model::Ssd& model, torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive m, o;
  model->save(m);
  optimizer.save(o);
  m.save_to(s.model);
  o.save_to(s.optimizer);
  for (auto& group : optimizer.param_groups()) s.options.push_back(group.options().clone());
}

void restore(const Snapshot& s, model::Ssd& model, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive m, o;
  std::istringstream ms(s.model.str()), os(s.optimizer.str());
  m.load_from(ms);
  o.load_from(os);
  model->load(m);
  // load() only overwrites the entries it finds: state the sweep created (momentum buffers) must go first.
  optimizer.state().clear();
  optimizer.load(o);
  for (size_t i = 0; i < s.options.size(); ++i) optimizer.param_groups()[i].set_options(s.options[i]->clone());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

config::Config apply_suggestion(config::Config c, double lr, std::vector<std::string>* notes) {
  auto note = [&](const std::string& s) {
    if (notes) notes->push_back(s);
  };
  c.solver.lr = lr;
  note("solver.lr: " + std::to_string(lr));
  if (c.schedule.name == "cyclic") {
    c.schedule.cyclic.max_lr = lr;
    c.schedule.cyclic.base_lr = lr / 4;
    note("schedule.cyclic.max_lr = the recommendation, base_lr = max_lr / 4 (Smith's 1/3 to 1/4 rule)");
  } else if (c.schedule.name == "one_cycle") {
    c.schedule.one_cycle.max_lr = lr;
    note("schedule.one_cycle.max_lr = the recommendation (Smith: the range test's upper usable LR is one-cycle's peak)");
  }
  return c;
}

LrFindReport find_lr(const config::Config& requested, c10::Device device, int repeats) {
  config::Config c = requested;  // the range test runs the model as training will: same weights, same normalisation
  interop::adopt_file_normalisation(c.model);
  const auto& f = c.lr_finder;
  if (f.lr_min >= f.lr_max)
    throw ConfigError("lr_finder.lr_min: " + std::to_string(f.lr_min) + " must be below lr_finder.lr_max " + std::to_string(f.lr_max));
  const uint64_t seed = static_cast<uint64_t>(c.runtime.seed);
  data::DetectionDataset train_set(c.data.train, c.data.classes, c.data.train_difficult, c.data.strict, c.data.val_fraction, seed, "train");
  spdlog::info("range test on {} training images from {}", train_set.size(), train_set.description());
  seed_everything(seed);
  auto model = model::build_ssd(c.model, static_cast<int64_t>(c.data.classes.size()) + 1);
  model::require_training_batch(*model, c.train.batch_size);
  interop::load_initial_weights(*model, c.model);
  place_model(*model, c, device);
  const auto groups = optim::make_param_groups(model->named_parameters().pairs(), c.solver, false);
  auto optimizer = optim::make_optimizer(c.solver, groups);
  return find_lr(c, model, *optimizer, groups, train_set, device, repeats);
}

LrFindReport find_lr(const config::Config& c, model::Ssd& model, torch::optim::Optimizer& optimizer,
                     const std::vector<optim::ParamGroup>& groups, const data::DetectionDataset& train_set, c10::Device device,
                     int repeats) {
  const auto& f = c.lr_finder;
  const uint64_t seed = static_cast<uint64_t>(c.runtime.seed);
  const bool was_training = model->is_training();
  model->train();
  Snapshot before;
  take(before, model, optimizer);

  const auto loss_fn = loss::make_loss(c.loss);
  const model::BoxCoder coder(c.model.variances[0], c.model.variances[1]);
  data::TrainAugmentation augmentation(c.augment, c.model.pixel_mean, c.model.pixel_std, static_cast<int>(c.model.image_size));

  LrFindReport report;
  for (int k = 0; k < std::max(repeats, 1); ++k) {
    restore(before, model, optimizer);
    data::LoaderOptions options;
    options.batch_size = c.train.batch_size;
    options.workers = c.data.workers;
    options.seed = seed + static_cast<uint64_t>(k);
    options.pin_memory = device.is_cuda();
    MixedPrecision precision(c.train, device);  // each sweep starts from the same loss scale, as from the same weights
    data::DataLoader loader(train_set, options, [&](const data::Sample& s, std::mt19937_64& rng) { return augmentation(s, rng); });
    if (loader.batches_per_epoch() == 0)
      throw ConfigError("train.batch_size: " + std::to_string(c.train.batch_size) + " is larger than the training set");
    int64_t epoch = 0;
    loader.start_epoch(epoch);
    auto step = [&](double lr) -> double {
      std::optional<data::Batch> batch;
      while (!(batch = loader.next()) || batch->size() == 0) {
        if (!batch) loader.start_epoch(++epoch);  // the sweep may be longer than one epoch
      }
      for (size_t g = 0; g < groups.size(); ++g) optim::set_group_lr(optimizer, g, lr * groups[g].lr_mult);
      const auto step = train_step(model, optimizer, *batch, *loss_fn, coder, c, device, precision);
      return step.finite() ? step.total : std::nan("");
    };
    report.sweeps.push_back(lr::run_range_test(f, step));
    loader.stop();
    const auto& sweep = report.sweeps.back();
    if (sweep.lrs.empty())
      throw std::runtime_error("LR range test: the loss was not finite at the first LR (" + sweep.stop_reason +
                               "); check the data and lower lr_finder.lr_min");
    spdlog::info("sweep {}/{}: {} steps from {:.2g} to {:.2g}{}", k + 1, repeats, sweep.lrs.size(), sweep.lrs.front(), sweep.lrs.back(),
                 sweep.stop_reason.empty() ? "" : "; stopped: " + sweep.stop_reason);
    report.suggestions.push_back(lr::suggest_lrs(sweep));
  }
  restore(before, model, optimizer);  // as it was before the test
  if (!was_training) model->eval();

  // Per rule: median (and spread) over the repeats.
  const auto& first = report.suggestions.front();
  for (const auto& rule : {std::string("steepest"), std::string("minimum/10"), std::string("valley")}) {
    std::vector<double> values;
    for (const auto& s : report.suggestions)
      for (const auto& x : s.all)
        if (x.rule == rule) values.push_back(x.lr);
    if (values.empty()) continue;
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    char buf[200];
    if (values.size() > 1) std::snprintf(buf, sizeof(buf), "  %-11s %.3g  (median of %zu sweeps; spread %.3g .. %.3g)", rule.c_str(), median(values),
                                         values.size(), *lo, *hi);
    else std::snprintf(buf, sizeof(buf), "  %-11s %.3g", rule.c_str(), values.front());
    report.lines.push_back(buf);
    if (rule == first.recommended.rule) report.recommended = {rule, median(values), -1};
  }
  report.reason = first.reason;
  fs::create_directories(c.train.run_dir);
  report.csv_path = (fs::path(c.train.run_dir) / "lr_find.csv").string();
  report.png_path = (fs::path(c.train.run_dir) / "lr_find.png").string();
  lr::write_range_test_csv(report.sweeps.front(), report.csv_path);
  lr::write_range_test_png(report.sweeps.front(), first, report.png_path);
  return report;
}

}  // namespace ssd::engine
