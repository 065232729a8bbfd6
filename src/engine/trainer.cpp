#include "ssd/engine/trainer.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <torch/torch.h>

#include "ssd/config/load.h"
#include "ssd/data/augment.h"
#include "ssd/data/dataset.h"
#include "ssd/data/loader.h"
#include "ssd/engine/metrics_log.h"
#include "ssd/engine/mixed_precision.h"
#include "ssd/engine/runtime.h"
#include "ssd/engine/train_step.h"
#include "ssd/eval/evaluator.h"
#include "ssd/eval/report.h"
#include "ssd/interop/file_normalisation.h"
#include "ssd/interop/initial_weights.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/engine/early_stopping.h"
#include "ssd/lr/controller.h"
#include "ssd/optim/optimizer.h"
#include "ssd/optim/param_groups.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::engine {

namespace {
// Namespace scope and constant-initialised: touching it from a signal handler runs no initialisation code.
std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag must be usable from a signal handler");
}  // namespace

std::atomic<bool>& Trainer::stop_requested() { return g_stop_requested; }

void install_stop_signal_handlers() {
  // The first signal asks for a clean stop (last.pt); the handler then steps aside, so a second one ends the
  // process at once if the run is stuck.
  auto handler = [](int sig) {
    g_stop_requested = true;
    std::signal(sig, SIG_DFL);
  };
  std::signal(SIGINT, handler);
  std::signal(SIGTERM, handler);
}

Trainer::Trainer(config::Config config, c10::Device device, std::string resume_from)
    : config_(std::move(config)), device_(device), resume_from_(std::move(resume_from)) {}

namespace {

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  else std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

void attach_file_log(const std::string& path) {
  auto logger = spdlog::default_logger();
  // One train.log sink at a time: a later run in the same process (tests, the tuner) logs to its own directory.
  auto& sinks = logger->sinks();
  sinks.erase(std::remove_if(sinks.begin(), sinks.end(),
                             [](const auto& sink) { return std::dynamic_pointer_cast<spdlog::sinks::basic_file_sink_mt>(sink) != nullptr; }),
              sinks.end());
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  file->set_pattern("[%Y-%m-%d %H:%M:%S] %l %v");
  logger->sinks().push_back(file);
}

}  // namespace

TrainResult Trainer::run() {
  // A new run takes the input normalisation of its ImageNet weights file (a resumed run keeps its saved config).
  if (resume_from_.empty()) interop::adopt_file_normalisation(config_.model);
  const auto& c = config_;
  fs::create_directories(c.train.run_dir);
  attach_file_log((fs::path(c.train.run_dir) / "train.log").string());

  TrainState state;
  std::string checkpoint_path;
  if (!resume_from_.empty()) {
    checkpoint_path = resolve_checkpoint_path(resume_from_);
    state = read_checkpoint_state(checkpoint_path);
  }
  state.config_yaml = config::to_yaml(c);
  {
    std::ofstream out(fs::path(c.train.run_dir) / "config.yaml");
    out << state.config_yaml;
  }

  // Data first: a config that points at a missing data set fails before any model is built.
  const uint64_t seed = static_cast<uint64_t>(c.runtime.seed);
  data::DetectionDataset train_set(c.data.train, c.data.classes, c.data.train_difficult, c.data.strict, c.data.val_fraction,
                                   seed, "train");
  std::optional<data::DetectionDataset> val_set;
  if (!c.data.val.roots.empty())
    val_set.emplace(c.data.val, c.data.classes, /*keep_difficult=*/true, c.data.strict, c.data.val_fraction, seed, "val");
  spdlog::info("train data: {} images from {}", train_set.size(), train_set.description());
  if (val_set) spdlog::info("val data: {} images from {}", val_set->size(), val_set->description());

  // Seeded here, not only in main: the initial weights are part of what makes a run reproducible.
  seed_everything(seed);
  auto model = model::build_ssd(c.model, static_cast<int64_t>(c.data.classes.size()) + 1);
  model::require_training_batch(*model, c.train.batch_size);
  if (checkpoint_path.empty()) interop::load_initial_weights(*model, c.model);
  place_model(*model, c, device_);
  MixedPrecision precision(c.train, device_);
  const auto groups = optim::make_param_groups(model->named_parameters().pairs(), c.solver,
                                               /*split_biases=*/c.schedule.warmup.bias_lr > 0);
  auto optimizer = optim::make_optimizer(c.solver, groups);
  if (!checkpoint_path.empty()) {
    load_checkpoint(checkpoint_path, model, optimizer.get());
    place_model(*model, c, device_);  // the loaded weights bring the layout they were saved in
    precision.scaler.load_state(state.amp_state);
    spdlog::info("resumed from {} at iteration {} (epoch {}, batch {})", checkpoint_path, state.iteration, state.epoch + 1,
                 state.batch_in_epoch);
  }

  data::LoaderOptions loader_options;
  loader_options.batch_size = c.train.batch_size;
  loader_options.workers = c.data.workers;
  loader_options.seed = seed;
  loader_options.pin_memory = device_.is_cuda();  // page-locked batches: the copy to the GPU overlaps compute
  data::TrainAugmentation augmentation(c.augment, c.model.pixel_mean, c.model.pixel_std, static_cast<int>(c.model.image_size));
  data::DataLoader loader(train_set, loader_options, [&](const data::Sample& s, std::mt19937_64& rng) { return augmentation(s, rng); });
  const int64_t per_epoch = loader.batches_per_epoch();
  if (per_epoch == 0)
    throw ConfigError("train.batch_size: " + std::to_string(c.train.batch_size) + " is larger than the training set (" +
                      std::to_string(train_set.size()) + " images)");
  const int64_t total_iters = per_epoch * c.train.epochs;
  const int64_t stop_at = c.train.max_iters > 0 ? std::min(c.train.max_iters, total_iters) : total_iters;
  std::vector<lr::GroupInfo> group_infos;
  for (const auto& g : groups) group_infos.push_back({g.name, g.lr_mult, g.bias});
  // Global batch = this process's batch (one rank, no gradient accumulation yet).
  lr::LrController lr_control(c, per_epoch, total_iters, c.train.batch_size, group_infos);
  EarlyStopping early_stop(c.early_stop);
  if (!checkpoint_path.empty()) {
    lr_control.load_state(state.schedule_state);
    early_stop.load_state(state.early_stop_state);
    if (state.total_iters > 0 && state.total_iters != total_iters)
      spdlog::info("run length changed from {} to {} iterations (train.epochs {}): schedules given as fractions of the run "
                   "(multistep fractions, and linear, polynomial, cosine, one_cycle with schedule.total 0) are recomputed for the "
                   "new length from iteration {} on; schedules in absolute iterations keep their boundaries",
                   state.total_iters, total_iters, c.train.epochs, state.iteration);
  }

  const std::string summary = model->summary();
  spdlog::info("{}", summary.substr(0, summary.size() - 1));  // without its final newline
  spdlog::info("run: {} epochs x {} iterations = {} iterations, batch {}, {} loader workers", c.train.epochs, per_epoch,
               total_iters, c.train.batch_size, loader.workers());
  spdlog::info("optimizer: {}; parameter groups: {}", c.solver.optimizer, optim::describe_groups(groups));
  spdlog::info("precision: {}; memory format: {}", precision.describe(), memory_format_name(model->memory_format()));
  for (const auto& line : lr_control.summary()) spdlog::info("{}", line);
  const bool will_validate = val_set && c.train.eval_period > 0;
  if (lr_control.needs_validation() && !will_validate)
    spdlog::warn("schedule.name plateau needs validations (data.val and train.eval_period > 0): the LR will not be reduced");
  if (early_stop.enabled()) {
    if (!will_validate) spdlog::warn("early_stop.patience is set but nothing is validated during the run (data.val, train.eval_period)");
    if (c.schedule.name == "plateau" && c.schedule.plateau.monitor == c.early_stop.monitor &&
        c.early_stop.patience <= c.schedule.plateau.patience + c.schedule.plateau.cooldown)
      spdlog::warn("early_stop.patience {} <= schedule.plateau.patience + cooldown ({}): training would stop before a reduced LR "
                   "could help", c.early_stop.patience, c.schedule.plateau.patience + c.schedule.plateau.cooldown);
  }
  std::vector<at::Tensor> best_weights;  // early_stop.restore_best_weights: a copy at the best evaluation

  const auto loss_fn = loss::make_loss(c.loss);
  const model::BoxCoder coder(c.model.variances[0], c.model.variances[1]);
  MetricsLog metrics((fs::path(c.train.run_dir) / "metrics.csv").string(), /*append=*/!checkpoint_path.empty(), state.iteration);
  const bool tty = ::isatty(STDOUT_FILENO);
  const std::string last_path = (fs::path(c.train.run_dir) / "last.pt").string();
  const std::string best_path = (fs::path(c.train.run_dir) / "best.pt").string();

  auto checkpoint = [&](const std::string& path) {
    state.total_iters = total_iters;
    state.schedule_state = lr_control.state();
    state.early_stop_state = early_stop.state();
    state.amp_state = precision.scaler.enabled() ? precision.scaler.state() : std::string();
    save_checkpoint(path, model, optimizer.get(), state);
  };
  std::vector<int64_t> boundaries;
  for (const auto& p : lr_control.phases()) boundaries.push_back(p.start);
  auto write_plot = [&] {
    try {
      metrics.plot((fs::path(c.train.run_dir) / "training.png").string(), boundaries);
    } catch (const std::exception& e) {
      spdlog::warn("could not write the training plot: {}", e.what());
    }
  };

  TrainResult result;
  model->train();
  auto window_start = std::chrono::steady_clock::now();
  const auto run_start = window_start;
  const int64_t start_iteration = state.iteration;
  double sum_loc = 0, sum_conf = 0;
  int64_t window_iters = 0, window_images = 0, window_skipped = 0;
  bool done = state.iteration >= stop_at;

  while (!done && state.epoch < c.train.epochs) {
    loader.start_epoch(state.epoch, state.batch_in_epoch);
    while (auto batch = loader.next()) {
      ++state.batch_in_epoch;
      if (batch->size() == 0) continue;  // every sample of this batch failed to load (counted in the report)
      // LR for the step about to be taken (schedule's t = steps already taken).
      lr_control.apply(*optimizer, state.iteration);
      const double lr = optim::get_lr(*optimizer);

      const auto step = train_step(model, *optimizer, *batch, *loss_fn, coder, c, device_, precision);
      if (step.skipped) ++window_skipped;
      const double loc = step.loc, conf = step.conf;
      if (!step.finite()) {
        // Never overwrite good state with a diverged model: stop with the numbers, last.pt stays as it was.
        throw std::runtime_error("loss is not finite at iteration " + std::to_string(state.iteration) + " (loss_loc " +
                                 std::to_string(loc) + ", loss_conf " + std::to_string(conf) + ", lr " + std::to_string(lr) +
                                 ")" + (fs::exists(last_path) ? "; the last good checkpoint is " + last_path : std::string()) +
                                 ". Lower solver.lr or lengthen the warm-up.");
      }
      ++state.iteration;

      sum_loc += loc, sum_conf += conf;
      ++window_iters;
      window_images += static_cast<int64_t>(batch->size());
      const bool log_now = state.iteration % c.train.log_period == 0 || state.iteration == stop_at;
      if (log_now || tty) {
        const auto now = std::chrono::steady_clock::now();
        const double window_seconds = std::chrono::duration<double>(now - window_start).count();
        const double elapsed = std::chrono::duration<double>(now - run_start).count();
        const double per_iter = elapsed / static_cast<double>(state.iteration - start_iteration);
        const double eta = per_iter * static_cast<double>(stop_at - state.iteration);
        char line[320];
        std::snprintf(line, sizeof(line),
                      "epoch %lld/%lld iter %lld/%lld loss %.4f (loc %.4f conf %.4f) lr %.3e %.1f img/s eta %s",
                      static_cast<long long>(state.epoch + 1), static_cast<long long>(c.train.epochs),
                      static_cast<long long>(state.iteration), static_cast<long long>(stop_at),
                      (sum_loc + sum_conf) / window_iters, sum_loc / window_iters, sum_conf / window_iters, lr,
                      window_images / std::max(window_seconds, 1e-9), format_duration(eta).c_str());
        if (log_now) {
          const double wait = loader.take_wait_seconds();
          const double wait_share = wait / std::max(window_seconds, 1e-9);
          if (tty) std::printf("\r\033[K");
          // This line's "key value" form is parsed by scripts/ and tests: keep it.
          spdlog::info("{} data-wait {:.0f}%", line, 100 * wait_share);
          if (window_skipped > 0)
            spdlog::info("mixed precision: {} of the last {} steps skipped on overflowing float16 gradients; loss scale now {}",
                         window_skipped, window_iters, precision.scaler.scale());
          metrics.add_train_row(state.iteration, state.epoch + 1, lr, sum_loc / window_iters, sum_conf / window_iters,
                                window_images / std::max(window_seconds, 1e-9), wait_share);
          sum_loc = sum_conf = 0;
          window_iters = window_images = window_skipped = 0;
          window_start = std::chrono::steady_clock::now();
        } else {
          std::printf("\r\033[K%s", line);
          std::fflush(stdout);
        }
      }
      if (stop_requested() || state.iteration >= stop_at) {
        done = true;
        break;
      }
    }
    const bool epoch_finished = state.batch_in_epoch >= per_epoch;
    if (epoch_finished) {
      ++state.epoch;
      state.batch_in_epoch = 0;
    }
    // Checkpoint before evaluation, so a failing evaluation still leaves one.
    checkpoint(last_path);
    if (epoch_finished && c.train.checkpoint_period > 0 && state.epoch % c.train.checkpoint_period == 0)
      checkpoint((fs::path(c.train.run_dir) / ("epoch_" + std::to_string(state.epoch) + ".pt")).string());
    loader.stop();  // no batches of an unfinished epoch are prepared while evaluation runs
    if (stop_requested()) {
      spdlog::warn("interrupted at iteration {}: wrote {}; continue with --resume {}", state.iteration, last_path, c.train.run_dir);
      result.interrupted = true;
      break;
    }
    const bool last = done || state.epoch >= c.train.epochs;
    const bool eval_due = val_set && epoch_finished && c.train.eval_period > 0 && state.epoch % c.train.eval_period == 0;
    if (val_set && (eval_due || last)) {
      const auto report = eval::evaluate(model, *val_set, c, device_, c.train.batch_size, /*with_loss=*/true);
      spdlog::info("validation after epoch {} (iteration {}): VOC all-point mAP {:.4f}, VOC07 11-point mAP {:.4f}, loss {:.4f}",
                   state.epoch, state.iteration, report.voc.map, report.voc07.map, report.loss);
      metrics.add_val_row(state.iteration, state.epoch, report.voc.map, report.voc07.map, report.loss);
      const std::map<std::string, double> monitored{{"val/mAP", report.voc.map}, {"val/loss", report.loss}};
      lr_control.on_validation(monitored, state.iteration);
      result.last_validation = monitored;
      result.last_validation["val/mAP07"] = report.voc07.map;
      bool improved = false;
      const bool stop_now = early_stop.update(monitored, &improved);
      if (improved && c.early_stop.restore_best_weights) {
        best_weights.clear();
        for (const auto& p : model->parameters()) best_weights.push_back(p.detach().clone());
        for (const auto& b : model->buffers()) best_weights.push_back(b.detach().clone());
      }
      if (report.voc.map > state.best_metric) {
        state.best_metric = report.voc.map;
        state.best_epoch = state.epoch;
        checkpoint(best_path);
        spdlog::info("new best mAP {:.4f}: wrote {}", state.best_metric, best_path);
        // The report follows the best checkpoint: rewritten at each new best, so the run ends with the best one's.
        try {
          eval::ReportOptions options;
          options.title = fmt::format("{} (epoch {}) on {}", best_path, state.epoch, val_set->description());
          options.config_yaml = state.config_yaml;
          const eval::AllMetrics metrics{report.voc07, report.voc,
                                         eval::evaluate_coco(report.ground_truth, report.detections, static_cast<int64_t>(c.data.classes.size()))};
          const auto html = eval::write_report((fs::path(c.train.run_dir) / "report").string(), report.ground_truth, report.detections,
                                               c.data.classes, metrics, options);
          spdlog::info("evaluation report: {}", html);
        } catch (const std::exception& e) {
          spdlog::warn("could not write the evaluation report: {}", e.what());  // a plot is never worth the run
        }
      }
      // last.pt again: it carries the best metric and the schedule's and early stopping's updated state for resume.
      checkpoint(last_path);
      if (stop_now && early_stop.enabled() && !last) {
        spdlog::info("iteration {}: {}", state.iteration, early_stop.reason());
        done = true;
        if (c.early_stop.restore_best_weights && !best_weights.empty()) {
          torch::NoGradGuard no_grad;
          size_t i = 0;
          for (auto& p : model->parameters()) p.copy_(best_weights[i++]);
          for (auto& b : model->buffers()) b.copy_(best_weights[i++]);
          const std::string final_path = (fs::path(c.train.run_dir) / "final.pt").string();
          checkpoint(final_path);
          spdlog::info("restored the weights of the best {} ({:.6g}) and wrote them to {}; last.pt keeps the last weights",
                       early_stop.monitor(), early_stop.best(), final_path);
        }
      }
      model->train();
    }
    write_plot();
  }
  result.state = state;
  result.skipped_summary = train_set.report().summary();
  if (!result.skipped_summary.empty()) spdlog::warn("training data: {}", result.skipped_summary);
  if (val_set && !val_set->report().summary().empty()) spdlog::warn("validation data: {}", val_set->report().summary());
  spdlog::info("finished at iteration {}; checkpoints in {}", state.iteration, c.train.run_dir);
  return result;
}

}  // namespace ssd::engine
