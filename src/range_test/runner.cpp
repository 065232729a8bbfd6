#include "ssd/range_test/runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>
#include <torch/torch.h>

#include "ssd/builder/data.h"
#include "ssd/builder/training.h"
#include "ssd/config/load.h"
#include "ssd/engine/loop.h"
#include "ssd/engine/train_step.h"
#include "ssd/interop/file_normalisation.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/range_test/sweep_hook.h"
#include "ssd/runtime/mixed_precision.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::range_test {

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
  note(fmt::format("solver.lr: {}", lr));
  // Set through their keys: the schedules' parameters are theirs (lr/schedules/<name>.cpp). "{}" writes the shortest
  // text that reads back as the same double (std::to_string's six decimals would turn 1e-6 into 0).
  const auto key = [&](const std::string& path, double value) { config::apply_override(c, fmt::format("{}={}", path, value)); };
  if (c.schedule.name == "cyclic") {
    key("schedule.cyclic.max_lr", lr);
    key("schedule.cyclic.base_lr", lr / 4);
    note("schedule.cyclic.max_lr = the recommendation, base_lr = max_lr / 4 (Smith's 1/3 to 1/4 rule)");
  } else if (c.schedule.name == "one_cycle") {
    key("schedule.one_cycle.max_lr", lr);
    note("schedule.one_cycle.max_lr = the recommendation (Smith: the range test's upper usable LR is one-cycle's peak)");
  }
  return c;
}

Report run(const config::Config& requested, c10::Device device, int repeats) {
  config::Config c = requested;  // the range test runs the model as training will: same weights, same normalisation
  interop::adopt_file_normalisation(c.model);
  auto parts = builder::training(c, device, {/*new_run=*/true, /*with_val=*/false, /*split_biases=*/false});
  return run(c, parts.model, *parts.optimizer, parts.groups, *parts.train_set, device, repeats);
}

namespace {

// One sweep through the training loop, from the model's and the optimizer's present state.
RangeTestResult sweep_once(const config::Config& c, model::Ssd& model, torch::optim::Optimizer& optimizer,
                           const std::vector<optim::ParamGroup>& groups, const data::DetectionDataset& train_set, c10::Device device,
                           uint64_t seed, int64_t* iters_per_epoch, double* seconds_per_iter) {
  auto loader = builder::train_loader(c, train_set, *model, device, seed);
  *iters_per_epoch = loader->batches_per_epoch();
  runtime::MixedPrecision precision(c.train, device);  // each sweep starts from the same loss scale, as from the same weights
  const auto loss_fn = loss::make_loss(c.loss);
  std::vector<double> lr_mults;
  for (const auto& g : groups) lr_mults.push_back(g.lr_mult);
  auto hook = std::make_shared<SweepHook>(c.range_test, lr_mults);
  engine::TrainContext context;
  context.model = model, context.optimizer = &optimizer, context.loader = loader.get(), context.device = device;
  context.run_dir = c.train.run_dir;
  context.stops_on_signal = false;  // ssd-tune's handlers are installed already; the tuner stops between its runs
  // As many epochs as the sweep takes: it ends the run itself.
  context.plan = {loader->batches_per_epoch(), std::numeric_limits<int32_t>::max(), c.range_test.iters, c.range_test.iters};
  const double clip = c.solver.clip_grad_norm;
  engine::TrainLoop loop(
      context, [&](const data::Batch& batch) { return engine::train_step(model, optimizer, batch, *loss_fn, clip, device, precision); },
      {hook});
  loop.run();
  *seconds_per_iter = hook->seconds_per_step();
  return hook->result();
}

// Per rule: the median (and spread) over the repeats.
void summarise(Report& report) {
  const auto& first = report.suggestions.front();
  for (const auto& rule : {std::string("steepest"), std::string("minimum/10"), std::string("valley")}) {
    std::vector<double> values;
    for (const auto& s : report.suggestions)
      for (const auto& x : s.all)
        if (x.rule == rule) values.push_back(x.lr);
    if (values.empty()) continue;
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    char buf[200];
    if (values.size() > 1)
      std::snprintf(buf, sizeof(buf), "  %-11s %.3g  (median of %zu sweeps; spread %.3g .. %.3g)", rule.c_str(), median(values), values.size(),
                    *lo, *hi);
    else std::snprintf(buf, sizeof(buf), "  %-11s %.3g", rule.c_str(), values.front());
    report.lines.push_back(buf);
    report.picks.push_back({rule, median(values), -1});
    if (rule == first.recommended.rule) report.recommended = report.picks.back();
  }
  report.reason = first.reason;
}

}  // namespace

Report run(const config::Config& c, model::Ssd& model, torch::optim::Optimizer& optimizer, const std::vector<optim::ParamGroup>& groups,
           const data::DetectionDataset& train_set, c10::Device device, int repeats) {
  const auto& f = c.range_test;
  if (f.lr_min >= f.lr_max)
    throw ConfigError("range_test.lr_min: " + std::to_string(f.lr_min) + " must be below range_test.lr_max " + std::to_string(f.lr_max));
  spdlog::info("range test on {} training images from {}", train_set.size(), train_set.description());
  const bool was_training = model->is_training();
  model->train();
  Snapshot before;
  take(before, model, optimizer);
  Report report;
  for (int k = 0; k < std::max(repeats, 1); ++k) {
    restore(before, model, optimizer);
    report.sweeps.push_back(
        sweep_once(c, model, optimizer, groups, train_set, device, static_cast<uint64_t>(c.runtime.seed) + k, &report.iters_per_epoch,
                   &report.seconds_per_iter));
    const auto& sweep = report.sweeps.back();
    if (sweep.lrs.empty())
      throw std::runtime_error("LR range test: the loss was not finite at the first LR (" + sweep.stop_reason +
                               "); check the data and lower range_test.lr_min");
    spdlog::info("sweep {}/{}: {} steps from {:.2g} to {:.2g}{}", k + 1, repeats, sweep.lrs.size(), sweep.lrs.front(), sweep.lrs.back(),
                 sweep.stop_reason.empty() ? "" : "; stopped: " + sweep.stop_reason);
    report.suggestions.push_back(suggest_lrs(sweep));
  }
  restore(before, model, optimizer);  // as it was before the test
  if (!was_training) model->eval();
  summarise(report);
  fs::create_directories(c.train.run_dir);
  report.csv_path = (fs::path(c.train.run_dir) / "lr_find.csv").string();
  report.png_path = (fs::path(c.train.run_dir) / "lr_find.png").string();
  write_range_test_csv(report.sweeps.front(), report.csv_path);
  write_range_test_png(report.sweeps.front(), report.suggestions.front(), report.png_path);
  return report;
}

}  // namespace ssd::range_test
