#include "ssd/engine/trainer.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include "ssd/builder/data.h"
#include "ssd/builder/solver.h"
#include "ssd/builder/training.h"
#include "ssd/config/load.h"
#include "ssd/distributed/connect.h"
#include "ssd/distributed/gradient_buckets.h"
#include "ssd/engine/checkpoint.h"
#include "ssd/engine/hooks/best_model.h"
#include "ssd/engine/hooks/checkpoint.h"
#include "ssd/engine/hooks/early_stop.h"
#include "ssd/engine/hooks/evaluation.h"
#include "ssd/engine/hooks/loss_scale.h"
#include "ssd/engine/hooks/lr_schedule.h"
#include "ssd/engine/hooks/metrics_log.h"
#include "ssd/engine/hooks/non_finite_loss.h"
#include "ssd/engine/hooks/periodic_checkpoint.h"
#include "ssd/engine/hooks/plot.h"
#include "ssd/engine/hooks/progress.h"
#include "ssd/engine/hooks/run_summary.h"
#include "ssd/engine/loop.h"
#include "ssd/engine/train_step.h"
#include "ssd/interop/file_normalisation.h"
#include "ssd/lr/schedules/plateau.h"
#include "ssd/optim/param_groups.h"
#include "ssd/runtime/runtime.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::engine {

Trainer::Trainer(config::Config config, c10::Device device, std::string resume_from,
                 std::shared_ptr<const distributed::Communicator> communicator)
    : config_(std::move(config)),
      device_(device),
      resume_from_(std::move(resume_from)),
      communicator_(communicator ? std::move(communicator) : distributed::alone()) {}

void Trainer::add_hook(std::shared_ptr<Hook> hook) { extra_hooks_.push_back(std::move(hook)); }

namespace {

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
  // Each line reaches the file as it is logged: a run that dies (a kill, a full disk) keeps its log to the end.
  logger->flush_on(spdlog::level::info);
}

// The checkpoint a distributed run resumes from: rank 0 alone reads the file and hands its bytes to the others, so
// every process resumes from the same checkpoint, and only rank 0 needs to see it (machines without shared storage).
CheckpointBytes checkpoint_from_rank0(const distributed::Communicator& communicator, const std::string& path) {
  CheckpointBytes checkpoint{path, communicator.rank() == 0 ? read_checkpoint_file(path).bytes : std::string()};
  checkpoint.bytes = communicator.broadcast_bytes(checkpoint.bytes, "the checkpoint to resume from, " + path);
  if (communicator.rank() != 0) checkpoint.name = path + " (as rank 0 read it)";
  return checkpoint;
}

// The run directory with its log and config.yaml (rank 0 alone writes it).
void open_run(config::Config& c, bool resumed, bool writes_run_dir) {
  // A new run takes the input normalisation of its weights file (a resumed run keeps its saved config).
  if (!resumed) interop::adopt_file_normalisation(c.model);
  if (!writes_run_dir) return;
  fs::create_directories(c.train.run_dir);
  attach_file_log((fs::path(c.train.run_dir) / "train.log").string());
  util::write_text_file((fs::path(c.train.run_dir) / "config.yaml").string(), config::to_yaml(c));
}

// Every process of a distributed run must train the same thing: a config that differs (a --set given to one process)
// would fail later in a collective, or silently.
void check_same_config(const distributed::Communicator& communicator, const std::string& config_yaml) {
  if (communicator.alone()) return;
  const auto all = communicator.gather_bytes(config_yaml, "the comparison of the processes' configs");
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw ConfigError("rank " + std::to_string(r) + " runs another config than rank 0: every process of a distributed run needs the "
                        "same --config, --set and --resume");
}

// The same starting weights in every process: rank 0's (a model built from the same seed is the same anyway; this
// also covers initialisations that are not deterministic).
void share_weights(const distributed::Communicator& communicator, model::Ssd& model) {
  if (communicator.alone()) return;
  auto tensors = model->parameters();
  for (const auto& b : model->buffers()) tensors.push_back(b);
  torch::NoGradGuard no_grad;
  communicator.broadcast(tensors, "the initial weights");
}

RunPlan plan_of(const config::TrainConfig& t, int64_t iters_per_epoch) {
  RunPlan plan;
  plan.iters_per_epoch = iters_per_epoch;
  plan.epochs = t.epochs;
  plan.total_iters = iters_per_epoch * t.epochs;
  plan.stop_at = t.max_iters > 0 ? std::min(t.max_iters, plan.total_iters) : plan.total_iters;
  if (t.stop_epoch > 0) plan.stop_at = std::min(plan.stop_at, iters_per_epoch * t.stop_epoch);
  return plan;
}

// What shapes the run, once at its start: the model, the run's length, the optimizer, precision, the schedule.
void log_run(const config::Config& c, const builder::TrainingParts& parts, const RunPlan& plan, int64_t workers,
             const lr::LrController& control, int world_size, size_t buckets, const std::string& backend) {
  const std::string summary = parts.model->summary();
  spdlog::info("{}", summary.substr(0, summary.size() - 1));  // without its final newline
  spdlog::info("run: {} epochs x {} iterations = {} iterations, batch {}, {} loader workers", plan.epochs, plan.iters_per_epoch,
               plan.total_iters, c.train.batch_size, workers);
  if (world_size > 1)
    spdlog::info("distributed: {} processes, {} images of each batch per process, gradients summed in {} bucket(s) ({})", world_size,
                 c.train.batch_size / world_size, buckets, backend);
  spdlog::info("optimizer: {}; parameter groups: {}", c.solver.optimizer, optim::describe_groups(parts.groups));
  spdlog::info("precision: {}; memory format: {}", parts.precision->describe(), runtime::memory_format_name(parts.model->memory_format()));
  for (const auto& line : control.summary()) spdlog::info("{}", line);
}

// Settings that cannot work as meant: reduce-on-plateau or early stopping without validations, or early stopping
// that would end the run before a reduced LR could help.
void warn_about_validation(const config::Config& c, bool will_validate, const lr::LrController& control) {
  if (control.needs_validation() && !will_validate)
    spdlog::warn("schedule.name plateau needs validations (data.val and train.eval_period > 0): the LR will not be reduced");
  if (c.early_stop.patience <= 0) return;
  if (!will_validate) spdlog::warn("early_stop.patience is set but nothing is validated during the run (data.val, train.eval_period)");
  const auto& plateau = c.schedule.params.get<lr::PlateauParams>("plateau");
  if (c.schedule.name == "plateau" && plateau.monitor == c.early_stop.monitor &&
      c.early_stop.patience <= plateau.patience + plateau.cooldown)
    spdlog::warn("early_stop.patience {} <= schedule.plateau.patience + cooldown ({}): training would stop before a reduced LR "
                 "could help", c.early_stop.patience, plateau.patience + plateau.cooldown);
}

struct DefaultHooks {
  std::vector<std::shared_ptr<Hook>> all;
  std::shared_ptr<EvaluationHook> evaluation;  ///< null without data.val
  std::shared_ptr<BestModelHook> best;
  std::shared_ptr<RunSummaryHook> summary;
};

// The hooks of a run, in the order they are called at every point. The order is what makes it right:
//   run summary first            summary.json says "running" before any other hook can fail; before last.pt is
//                                rewritten after a validation, so that it carries the summary's state
//   non-finite guard             before everything else after a step: nothing records a diverged loss, and no
//                                checkpoint follows it (the summary only counts the step's time and images)
//   LR schedule                  before a step, its LR; after a validation, a plateau reduction before any checkpoint
//   progress, loss scale         the progress line, then what mixed precision skipped in the same window
//   metrics log                  opens metrics.csv before anything validates (a resume's due validation)
//   early stop, best model       after a validation, before last.pt is rewritten, so that it carries their state
//   checkpoint                   last.pt at an epoch's end *before* evaluation (a failing evaluation leaves one)
//   evaluation                   validates and hands the result to every hook above
//   periodic checkpoint          epoch_N.pt: a copy of last.pt once the epoch's validation is in it
//   plot                         training.png last, from every row the epoch wrote
DefaultHooks default_hooks(const config::Config& c, builder::TrainingParts& parts, std::shared_ptr<lr::LrController> control,
                           const std::shared_ptr<const distributed::Communicator>& communicator, bool image_losses,
                           std::shared_ptr<RunSummaryHook> summary) {
  const auto& run_dir = c.train.run_dir;
  auto in_run = [&](const char* file) { return (fs::path(run_dir) / file).string(); };
  DefaultHooks h;
  auto metrics = std::make_shared<MetricsLogHook>(in_run("metrics.csv"), c.train.log_period);
  h.summary = std::move(summary);
  h.best = std::make_shared<BestModelHook>(run_dir, c.data.classes, config::to_yaml(c),
                                           parts.val_set ? parts.val_set->description() : std::string());
  if (parts.val_set) {
    auto options = builder::eval_options(c, c.train.batch_size, /*with_loss=*/true);
    options.communicator = communicator;
    options.image_losses = image_losses;
    h.evaluation = std::make_shared<EvaluationHook>(*parts.val_set, std::move(options), c.train.eval_period);
  }
  std::vector<int64_t> boundaries;
  for (const auto& p : control->phases()) boundaries.push_back(p.start);
  h.all = {h.summary,
           std::make_shared<NonFiniteLossHook>(c.non_finite, control),
           std::make_shared<LrScheduleHook>(control),
           std::make_shared<ProgressHook>(c.train.log_period, ::isatty(STDOUT_FILENO)),
           std::make_shared<LossScaleHook>(parts.precision->scaler, c.train.log_period),
           metrics,
           std::make_shared<EarlyStopHook>(c.early_stop, run_dir),
           h.best,
           std::make_shared<CheckpointHook>(run_dir)};
  if (h.evaluation) h.all.push_back(h.evaluation);
  h.all.push_back(std::make_shared<PeriodicCheckpointHook>(run_dir, c.train.checkpoint_period));
  h.all.push_back(std::make_shared<PlotHook>(in_run("training.png"), *metrics, boundaries));
  return h;
}

}  // namespace

TrainResult Trainer::run() {
  const std::string checkpoint_path = resume_from_.empty() ? "" : resolve_checkpoint_path(resume_from_);
  const bool writes_run_dir = communicator_->rank() == 0;
  open_run(config_, /*resumed=*/!checkpoint_path.empty(), writes_run_dir);
  // From here on summary.json records how the run ends, an error included (bad data, a failing evaluation ...).
  auto summary = std::make_shared<RunSummaryHook>(config_.train.run_dir, config_.data.classes, writes_run_dir);
  try {
    return train(checkpoint_path, summary);
  } catch (const std::exception& e) {
    summary->fail(e.what());
    throw;
  }
}

TrainResult Trainer::train(const std::string& checkpoint_path, const std::shared_ptr<RunSummaryHook>& summary) {
  const auto& communicator = *communicator_;
  const int rank = communicator.rank(), world_size = communicator.world_size();
  const auto& c = config_;
  check_same_config(communicator, config::to_yaml(c));
  std::optional<CheckpointBytes> shared;  // a distributed resume: rank 0's bytes of the checkpoint
  std::optional<CheckpointState> resumed;
  if (!checkpoint_path.empty()) {
    if (!communicator.alone()) shared = checkpoint_from_rank0(communicator, checkpoint_path);
    resumed = shared ? read_checkpoint_state(*shared) : read_checkpoint_state(checkpoint_path);
  }
  auto parts = builder::training(c, device_, {/*new_run=*/!resumed, /*with_val=*/true, /*split_biases=*/c.schedule.warmup.bias_lr > 0});
  if (resumed) {
    if (shared) load_checkpoint(*shared, parts.model, parts.optimizer.get());
    else load_checkpoint(checkpoint_path, parts.model, parts.optimizer.get());
    shared.reset();  // its bytes are in the model and optimizer now
    runtime::place_model(*parts.model, c.runtime.memory_format, c.train.amp, device_);  // the loaded weights bring their stored layout
    spdlog::info("resumed from {} at iteration {} (epoch {}, batch {})", checkpoint_path, resumed->position.iteration,
                 resumed->position.epoch + 1, resumed->position.batch_in_epoch);
  } else {
    share_weights(communicator, parts.model);
  }
  auto loader = builder::train_loader(c, *parts.train_set, *parts.model, device_, static_cast<uint64_t>(c.runtime.seed), rank, world_size);
  const RunPlan plan = plan_of(c.train, loader->batches_per_epoch());
  // The LR rules see the whole batch, however many processes share it.
  std::shared_ptr<lr::LrController> control =
      builder::lr_controller(c, plan.iters_per_epoch, plan.total_iters, c.train.batch_size, builder::group_infos(parts.groups));
  std::vector<at::Tensor> trained;
  for (const auto& p : parts.model->parameters())
    if (p.requires_grad()) trained.push_back(p);
  distributed::GradientBuckets gradients(trained, c.distributed.bucket_mb, communicator_, c.distributed.overlap);
  log_run(c, parts, plan, loader->workers(), *control, world_size, gradients.bucket_count(), communicator.backend());
  warn_about_validation(c, parts.val_set && c.train.eval_period > 0, *control);

  const bool image_losses = std::any_of(extra_hooks_.begin(), extra_hooks_.end(), [](const auto& h) { return h->needs_image_losses(); });
  auto hooks = default_hooks(c, parts, control, communicator_, image_losses, summary);
  hooks.all.insert(hooks.all.end(), extra_hooks_.begin(), extra_hooks_.end());
  TrainContext context;
  context.model = parts.model, context.optimizer = parts.optimizer.get(), context.loader = loader.get();
  context.device = device_, context.run_dir = c.train.run_dir, context.plan = plan;
  context.rank = rank, context.world_size = world_size, context.communicator = communicator_;
  const double clip = c.solver.clip_grad_norm;
  const DataParallel parallel{communicator_.get(), &gradients};
  double step_seconds = 0;  // for the share of communication in a distributed run's steps
  const auto step = [&parts, clip, device = device_, &parallel, &step_seconds](const data::Batch& batch) {
    const auto start = std::chrono::steady_clock::now();
    auto loss = train_step(parts.model, *parts.optimizer, batch, *parts.loss, clip, device, *parts.precision, &parallel);
    step_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return loss;
  };
  TrainLoop loop(context, step, hooks.all);
  const std::string config_yaml = config::to_yaml(c);
  loop.context().save_checkpoint = [&](const std::string& path) {
    save_checkpoint(path, parts.model, parts.optimizer.get(),
                    CheckpointState{loop.context().position, plan.total_iters, config_yaml, loop.hook_states()});
  };
  if (resumed) {
    loop.restore(resumed->position, resumed->hooks);
    if (resumed->total_iters > 0 && resumed->total_iters != plan.total_iters)
      spdlog::info("run length changed from {} to {} iterations (train.epochs {}): schedules given as fractions of the run "
                   "(multistep fractions, and linear, polynomial, cosine, one_cycle with schedule.total 0) are recomputed for the "
                   "new length from iteration {} on; schedules in absolute iterations keep their boundaries",
                   resumed->total_iters, plan.total_iters, c.train.epochs, resumed->position.iteration);
  }
  loop.run();
  if (world_size > 1 && step_seconds > 0)
    spdlog::info("distributed: waiting for gradient sums after backward took {:.2f} s of the {:.2f} s of training steps ({:.1f}%; "
                 "{} bucket(s), distributed.bucket_mb {}, overlap {})", gradients.seconds(), step_seconds,
                 100 * gradients.seconds() / step_seconds, gradients.bucket_count(), c.distributed.bucket_mb, c.distributed.overlap);
  // Rank 0 writes the run's last files while the others wait here, so that no process leaves before the run is whole.
  communicator.barrier("the end of the run", std::chrono::milliseconds(static_cast<int64_t>(c.distributed.timeout_s * 1000)));

  TrainResult result;
  result.position = loop.context().position;
  result.interrupted = loop.context().interrupted;
  result.best_metric = hooks.best->best();
  if (hooks.evaluation) result.last_validation = hooks.evaluation->last();
  result.skipped_summary = parts.train_set->report().summary();
  if (!result.skipped_summary.empty()) spdlog::warn("training data: {}", result.skipped_summary);
  if (parts.val_set && !parts.val_set->report().summary().empty()) spdlog::warn("validation data: {}", parts.val_set->report().summary());
  spdlog::info("finished at iteration {}; checkpoints in {}", result.position.iteration, c.train.run_dir);
  return result;
}

}  // namespace ssd::engine
