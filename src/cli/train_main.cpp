// ssd-train: config -> data, model, optimizer, schedule -> training run with checkpoints; and the LR tools around it
// (--plot-lr, --range-test) and the model's inspection (--dry-run, --list-params).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/common.h"
#include "cli/train_config.h"
#include "ssd/builder/model.h"
#include "ssd/builder/solver.h"
#include "ssd/config/load.h"
#include "ssd/data/dataset.h"
#include "ssd/distributed/connect.h"
#include "ssd/distributed/launch_env.h"
#include "ssd/distributed/supervisor.h"
#include "ssd/engine/checkpoint.h"
#include "ssd/engine/loop.h"
#include "ssd/engine/trainer.h"
#include "ssd/lr/preview.h"
#include "ssd/optim/param_groups.h"
#include "ssd/range_test/runner.h"
#include "ssd/runtime/mixed_precision.h"
#include "ssd/runtime/runtime.h"
#include "ssd/tune/lr_race.h"
#include "ssd/util/error.h"
#include "ssd/util/text_file.h"

namespace {

namespace fs = std::filesystem;
using ssd::config::Config;

struct TrainOptions {
  ssd::cli::CommonOptions common;
  bool dry_run = false, range_test = false, race = false, list_params = false;
  std::string resume, plot_lr, write_config;
  int64_t iters_per_epoch = 0;
  int range_test_repeats = 1;
  int nproc = 1;
};

void add_train_options(CLI::App& app, TrainOptions& o) {
  ssd::cli::add_config_options(app, o.common, /*with_config_file=*/true);
  ssd::cli::add_reference_options(app, o.common);
  auto* dry = app.add_flag("--dry-run", o.dry_run, "Build the model and default boxes from the config, print the summary, and exit");
  app.add_option("--plot-lr", o.plot_lr,
                 "Write the LR (and momentum where it moves) of every iteration to FILE.png or FILE.csv from the config alone "
                 "(no model, no images; the loader length comes from the split files) and exit");
  app.add_option("--iters-per-epoch", o.iters_per_epoch, "With --plot-lr: iterations per epoch to assume instead of counting the split");
  auto* range_test = app.add_flag("--range-test,--find-lr", o.range_test,
                                  "LR range test (range_test.*): one step per LR from lr_min to lr_max on the training data, then "
                                  "suggestions; writes <run_dir>/lr_find.csv and lr_find.png; the weights are restored afterwards");
  range_test->excludes(dry);
  app.add_flag("--race", o.race,
               "With --range-test: when the rules' picks disagree by more than 3x, race them (and midpoints) in short trainings "
               "on the config's data, each a whole schedule from scratch, successive halving on the validation loss, and recommend "
               "the winner (range_test.race=disagree; race_epochs or race_minutes, race_eta, race_rungs, race_monitor); writes "
               "<run_dir>/lr_race.csv and lr_race.png; "
               "Ctrl-C and the same command resume it")
      ->needs(range_test);
  app.add_option("--range-test-repeats,--find-lr-repeats", o.range_test_repeats,
                 "With --range-test: sweeps with different seeds; reports the median and spread")
      ->check(CLI::Range(1, 20));
  app.add_option("--write-config", o.write_config, "With --range-test: write the config with the recommended LR0 to this YAML file");
  app.add_flag("--list-params", o.list_params, "List the model's parameter names (for solver.groups patterns) and exit");
  app.add_option("--nproc", o.nproc,
                 "Train as N processes on this machine (data-parallel, torch's c10d with Gloo on CPU, NCCL on CUDA): each takes "
                 "train.batch_size / N images of every batch and its share of the cores (or GPU N); the result equals one "
                 "process's. For several machines launch with torchrun or srun instead (docs/distributed.md)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--resume", o.resume,
                 "Continue a run from a checkpoint or run directory (its last.pt, or when that is damaged the newest "
                 "checkpoint in it that reads); the run's own config is used, with --set applied on top");
}

/// --plot-lr: the schedule over the run, from the config and the split files' length only.
int preview_schedule(const Config& config, const std::string& path, int64_t iters_per_epoch) {
  if (iters_per_epoch <= 0) {
    size_t images = 0;
    try {
      images = ssd::data::count_split_images(config.data.train, config.data.val_fraction, static_cast<uint64_t>(config.runtime.seed), "train");
    } catch (const std::exception& e) {
      throw ssd::DataError(std::string(e.what()) + "; give --iters-per-epoch N to preview without the data");
    }
    iters_per_epoch = static_cast<int64_t>(images) / config.train.batch_size;  // the loader drops the last partial batch
    if (iters_per_epoch == 0)
      throw ssd::ConfigError("train.batch_size " + std::to_string(config.train.batch_size) + " is larger than the " +
                             std::to_string(images) + " training images");
  }
  std::vector<ssd::lr::GroupInfo> groups{{"default", 1.0, false}};
  std::vector<std::string> names{"default"};
  for (const auto& rule : config.solver.groups) {
    groups.push_back({rule.match, rule.lr_mult, false});
    names.push_back(rule.match);
  }
  const auto control = ssd::builder::lr_controller(config, iters_per_epoch, iters_per_epoch * config.train.epochs, config.train.batch_size, groups);
  for (const auto& line : control->summary()) std::cout << line << "\n";
  ssd::lr::write_lr_preview(*control, names, path);
  std::cout << "wrote " << path << "\n";
  return 0;
}

int list_params(const Config& config) {
  auto model = ssd::builder::model(config);
  const auto groups = ssd::builder::param_groups(config, *model, false);
  for (const auto& g : groups)
    for (size_t i = 0; i < g.names.size(); ++i) std::cout << g.names[i] << "  " << g.params[i].sizes() << "  group " << g.name << "\n";
  std::cout << ssd::optim::describe_groups(groups) << "\n";
  return 0;
}

int run_range_test(Config config, c10::Device device, const TrainOptions& o) {
  if (o.race && config.range_test.race == "never") config.range_test.race = "disagree";
  const auto report = ssd::range_test::run(config, device, o.range_test_repeats);
  std::cout << "LR range test suggestions:\n";
  for (const auto& line : report.lines) std::cout << line << "\n";
  auto recommended = report.recommended;
  std::string reason = report.reason;
  std::vector<std::string> written{report.csv_path, report.png_path};
  if (ssd::tune::race_wanted(config.range_test, report.picks)) {
    std::cout << "the rules disagree by " << fmt::format("{:.1f}", ssd::tune::disagreement(report.picks)) << "x: racing them\n"
              << std::flush;
    ssd::engine::install_stop_signal_handlers();  // Ctrl-C during the race: each candidate keeps its checkpoint
    const auto race = ssd::tune::race_lr(config, ssd::tune::race_candidates(report.picks), device,
                                         {report.iters_per_epoch, report.seconds_per_iter});
    if (race.interrupted) {
      std::cout << "the race was interrupted; the same command resumes it\n";
      return static_cast<int>(ssd::kExitInterrupted);
    }
    std::cout << "LR race (successive halving on " << race.monitor << ", * the winner):\n";
    for (const auto& line : race.lines) std::cout << line << "\n";
    const auto& winner = race.candidates[race.winner];
    if (race.decided) {
      recommended = {"race", winner.lr, -1};
      reason = fmt::format("won the race, picked by {}; without a race the rules would give {} = {:.3g}", winner.rule,
                           report.recommended.rule, report.recommended.lr);
    } else {
      spdlog::warn("LR race: no candidate gave a finite {} (each diverged or failed): the recommendation is the rules' own", race.monitor);
    }
    written.push_back(race.csv_path), written.push_back(race.png_path);
  } else if (o.race) {
    std::cout << "the rules agree within 3x: no race\n";
  }
  std::cout << "recommended: " << recommended.rule << " = " << recommended.lr << " (" << reason << ")\n";
  std::vector<std::string> notes;
  const auto tuned = ssd::range_test::apply_suggestion(config, recommended.lr, &notes);
  for (const auto& n : notes) std::cout << "  " << n << "\n";
  std::cout << "wrote";
  for (size_t i = 0; i < written.size(); ++i) std::cout << (i == 0 ? " " : i + 1 == written.size() ? " and " : ", ") << written[i];
  std::cout << "\n";
  if (!o.write_config.empty()) {
    ssd::util::write_text_file(o.write_config, "# ssd-train --range-test: solver.lr set to the range test's recommendation (" +
                                                  recommended.rule + ")\n" + ssd::config::to_yaml(tuned));
    std::cout << "wrote " << o.write_config << "; train with: ssd-train --config " << o.write_config << "\n";
  }
  return 0;
}

int dry_run(const Config& config, c10::Device device, const std::string& runtime) {
  auto model = ssd::builder::model(config);
  ssd::runtime::place_model(*model, config.runtime.memory_format, config.train.amp, device);
  const ssd::runtime::MixedPrecision precision(config.train, device);  // a float16-on-CPU config fails here, not later
  std::cout << runtime << ", precision: " << precision.describe() << "\n" << model->summary();
  return 0;
}

int train(const Config& config, c10::Device device, const std::string& resume,
          std::shared_ptr<const ssd::distributed::Communicator> communicator) {
  ssd::engine::install_stop_signal_handlers();
  ssd::engine::Trainer trainer(config, device, resume, std::move(communicator));
  const auto result = trainer.run();
  return result.interrupted ? static_cast<int>(ssd::kExitInterrupted) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-train: train an SSD detector from a YAML config.\n\n"
      "Examples:\n"
      "  ssd-train --config configs/shapes.yaml                          # train; checkpoints in train.run_dir\n"
      "  ssd-train --resume runs/shapes                                  # continue exactly where it stopped\n"
      "  ssd-train --resume runs/shapes --set train.epochs=40            # ... and train longer\n"
      "  ssd-train --config configs/voc_ssd300_vgg16.yaml --dry-run      # build the model, print its summary\n"
      "  ssd-train --config configs/voc_ssd300_vgg16.yaml --print-config # every key, resolved\n"
      "  ssd-train --config C --set model.image_size=512 --device cpu     # override keys from the command line\n"
      "  ssd-train --config C --plot-lr lr.png                           # preview the LR schedule (or lr.csv)\n"
      "  ssd-train --config C --range-test --write-config tuned.yaml      # LR range test, config with its LR0\n"
      "  ssd-train --config C --range-test --race                         # ... the rules' picks raced when they disagree\n"
      "  ssd-train --config C --nproc 2                                  # two processes, one batch split between them\n"
      "  ssd-train --list-schedules                                      # every schedule (docs/schedules.md)\n\n"
      "The run directory receives train.log, metrics.csv, training.png, config.yaml, last.pt and best.pt.\n"
      "Ctrl-C (SIGINT) or SIGTERM writes last.pt and exits; --resume continues from it.",
      "ssd-train"};
  TrainOptions o;
  add_train_options(app, o);
  return ssd::cli::run_tool("ssd-train", app, argc, argv, [&] {
    if (ssd::cli::handle_reference_flags(o.common)) return 0;
    // Under --nproc, torchrun or srun: this process's place in the run.
    const auto launch = ssd::distributed::read_launch_env();
    const bool distributed = launch && launch->world_size > 1;
    if (distributed && launch->rank != 0) {
      // One voice on the console: the other ranks say only what goes wrong, with their rank.
      spdlog::set_pattern("[%H:%M:%S] rank " + std::to_string(launch->rank) + " %^%l%$ %v");
      spdlog::set_level(spdlog::level::warn);
    }
    // A distributed resume meets first: rank 0 alone reads the checkpoint, the others take its config (and, when
    // training starts, its bytes), so only rank 0 must see the file.
    std::optional<ssd::distributed::Rendezvous> meeting;
    std::string checkpoint;
    Config config;
    if (distributed && !o.resume.empty()) {
      meeting.emplace(*launch, ssd::cli::rendezvous_timeout_s(o.common));
      auto start = ssd::cli::resume_through_rank0(o.common, o.resume, *meeting);
      checkpoint = std::move(start.checkpoint);
      config = std::move(start.config);
    } else {
      checkpoint = o.resume.empty() ? "" : ssd::engine::resume_checkpoint(o.resume);
      config = ssd::cli::load_train_config(o.common, checkpoint);
    }
    if (ssd::cli::handle_print_config(o.common, config)) return 0;
    if (!o.plot_lr.empty()) return preview_schedule(config, o.plot_lr, o.iters_per_epoch);
    if (o.list_params) return list_params(config);
    if (o.nproc > 1 || distributed) {
      if (o.dry_run || o.range_test)
        throw ssd::ConfigError(std::string(o.dry_run ? "--dry-run" : "--range-test") + " runs in one process: drop --nproc (or torchrun)");
      if (config.train.batch_size % std::max(o.nproc, launch ? launch->world_size : 1) != 0)
        throw ssd::ConfigError("train.batch_size: " + std::to_string(config.train.batch_size) + " is the whole batch of a step and must split "
                               "evenly among the " + std::to_string(std::max(o.nproc, launch ? launch->world_size : 1)) + " processes");
    }
    if (o.nproc > 1) {
      if (launch)
        throw ssd::ConfigError("--nproc starts the processes itself; under torchrun or srun (" + launch->source + ") leave it out");
      return ssd::distributed::supervise(o.nproc, fs::read_symlink("/proc/self/exe").string(), ssd::distributed::without_nproc(argc, argv));
    }
    // Set but read by nothing: most often a step left out of augment.pipeline or a schedule's keys under another
    // schedule. Said once: by the process that trains alone, or by rank 0.
    if (!distributed || launch->rank == 0)
      for (const auto& line : ssd::config::unused_settings(config)) spdlog::warn("{}", line);
    if (launch) ssd::runtime::set_processes_on_machine(launch->local_world_size);
    c10::Device device(c10::kCPU);
    const std::string runtime = ssd::runtime::apply_runtime(config.runtime, &device, launch ? launch->local_rank : 0);
    if (o.dry_run) return dry_run(config, device, runtime);
    spdlog::info("{}", runtime);
    if (o.range_test) return run_range_test(config, device, o);
    const auto communicator = meeting       ? ssd::distributed::connect(*meeting, config.distributed, device)
                              : distributed ? ssd::distributed::connect(*launch, config.distributed, device)
                                            : ssd::distributed::alone();
    return train(config, device, checkpoint, communicator);
  });
}
