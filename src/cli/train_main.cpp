// ssd-train: config -> data, model, optimizer, schedule -> training run with checkpoints.
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>

#include "cli/common.h"
#include "ssd/config/load.h"
#include "ssd/data/dataset.h"
#include "ssd/engine/checkpoint.h"
#include "ssd/engine/lr_finder.h"
#include "ssd/lr/controller.h"
#include "ssd/lr/preview.h"
#include "ssd/optim/param_groups.h"
#include "ssd/engine/mixed_precision.h"
#include "ssd/engine/runtime.h"
#include "ssd/engine/trainer.h"
#include "ssd/model/ssd.h"
#include "ssd/util/error.h"

namespace {

/// --plot-lr: the schedule over the run, from the config and the split files' length only.
int preview_schedule(const ssd::config::Config& config, const std::string& path, int64_t iters_per_epoch) {
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
  const int64_t total = iters_per_epoch * config.train.epochs;
  std::vector<ssd::lr::GroupInfo> groups{{"default", 1.0, false}};
  std::vector<std::string> names{"default"};
  for (const auto& rule : config.solver.groups) {
    groups.push_back({rule.match, rule.lr_mult, false});
    names.push_back(rule.match);
  }
  ssd::lr::LrController control(config, iters_per_epoch, total, config.train.batch_size, groups);
  for (const auto& line : control.summary()) std::cout << line << "\n";
  ssd::lr::write_lr_preview(control, names, path);
  std::cout << "wrote " << path << "\n";
  return 0;
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
      "  ssd-train --config C --find-lr --write-config tuned.yaml         # LR range test, config with its LR0\n"
      "  ssd-train --list-schedules                                      # every schedule (docs/schedules.md)\n\n"
      "The run directory receives train.log, metrics.csv, training.png, config.yaml, last.pt and best.pt.\n"
      "Ctrl-C (SIGINT) or SIGTERM writes last.pt and exits; --resume continues from it.",
      "ssd-train"};
  ssd::cli::CommonOptions common;
  ssd::cli::add_common_options(app, common);
  bool dry_run = false;
  std::string resume;
  app.add_flag("--dry-run", dry_run, "Build the model and default boxes from the config, print the summary, and exit");
  std::string plot_lr, write_config;
  int64_t iters_per_epoch = 0;
  bool find_lr = false, list_schedules = false, list_params = false;
  int find_lr_repeats = 1;
  app.add_option("--plot-lr", plot_lr,
                 "Write the LR (and momentum where it moves) of every iteration to FILE.png or FILE.csv from the config alone "
                 "(no model, no images; the loader length comes from the split files) and exit");
  app.add_option("--iters-per-epoch", iters_per_epoch, "With --plot-lr: iterations per epoch to assume instead of counting the split");
  app.add_flag("--find-lr", find_lr,
               "LR range test (lr_finder.*): one step per LR from lr_min to lr_max on the training data, then suggestions; "
               "writes <run_dir>/lr_find.csv and lr_find.png; the weights are restored afterwards");
  app.add_option("--find-lr-repeats", find_lr_repeats, "With --find-lr: sweeps with different seeds; reports the median and spread")
      ->check(CLI::Range(1, 20));
  app.add_option("--write-config", write_config, "With --find-lr: write the config with the recommended LR0 to this YAML file");
  app.add_flag("--list-schedules", list_schedules, "List the schedules schedule.name accepts and exit");
  app.add_flag("--list-params", list_params, "List the model's parameter names (for solver.groups patterns) and exit");
  app.add_option("--resume", resume,
                 "Continue a run from a checkpoint or run directory (its last.pt); the run's own config is used, "
                 "with --set applied on top");

  return ssd::cli::run_tool("ssd-train", app, argc, argv, [&] {
    ssd::config::Config config;
    if (!resume.empty()) {
      if (!common.config_path.empty())
        throw ssd::ConfigError("--resume uses the config stored in the checkpoint; drop --config (use --set to change keys)");
      const auto state = ssd::engine::read_checkpoint_state(ssd::engine::resolve_checkpoint_path(resume));
      config = ssd::config::load_config_text(state.config_yaml, ssd::engine::resolve_checkpoint_path(resume) + " (stored config)",
                                             ssd::cli::all_overrides(common));
    } else {
      config = ssd::cli::load_config(common);
    }
    if (ssd::cli::handle_info_flags(common, config)) return 0;
    if (list_schedules) {
      std::cout << "schedules (schedule.name; formulas in docs/schedules.md):\n" << ssd::lr::schedule_registry().listing();
      return 0;
    }
    if (!plot_lr.empty()) return preview_schedule(config, plot_lr, iters_per_epoch);
    c10::Device device(c10::kCPU);
    const std::string runtime = ssd::engine::apply_runtime(config.runtime, &device);
    if (list_params) {
      auto model = ssd::model::build_ssd(config.model, static_cast<int64_t>(config.data.classes.size()) + 1);
      const auto groups = ssd::optim::make_param_groups(model->named_parameters().pairs(), config.solver, false);
      for (const auto& g : groups)
        for (size_t i = 0; i < g.names.size(); ++i)
          std::cout << g.names[i] << "  " << g.params[i].sizes() << "  group " << g.name << "\n";
      std::cout << ssd::optim::describe_groups(groups) << "\n";
      return 0;
    }
    if (find_lr) {
      spdlog::info("{}", runtime);
      const auto report = ssd::engine::find_lr(config, device, find_lr_repeats);
      std::cout << "LR range test suggestions:\n";
      for (const auto& line : report.lines) std::cout << line << "\n";
      std::cout << "recommended: " << report.recommended.rule << " = " << report.recommended.lr << " (" << report.reason << ")\n";
      std::vector<std::string> notes;
      const auto tuned = ssd::engine::apply_suggestion(config, report.recommended.lr, &notes);
      for (const auto& n : notes) std::cout << "  " << n << "\n";
      std::cout << "wrote " << report.csv_path << " and " << report.png_path << "\n";
      if (!write_config.empty()) {
        std::ofstream out(write_config);
        if (!out) throw ssd::ConfigError(write_config + ": cannot write (--write-config)");
        out << "# ssd-train --find-lr: solver.lr set to the range test's recommendation (" << report.recommended.rule << ")\n"
            << ssd::config::to_yaml(tuned);
        std::cout << "wrote " << write_config << "; train with: ssd-train --config " << write_config << "\n";
      }
      return 0;
    }
    if (dry_run) {
      auto model = ssd::model::build_ssd(config.model, static_cast<int64_t>(config.data.classes.size()) + 1);
      ssd::engine::place_model(*model, config, device);
      const ssd::engine::MixedPrecision precision(config.train, device);  // a float16-on-CPU config fails here, not later
      std::cout << runtime << ", precision: " << precision.describe() << "\n" << model->summary();
      return 0;
    }
    spdlog::info("{}", runtime);
    ssd::engine::install_stop_signal_handlers();
    ssd::engine::Trainer trainer(config, device, resume);
    const auto result = trainer.run();
    return result.interrupted ? static_cast<int>(ssd::kExitInterrupted) : 0;
  });
}
