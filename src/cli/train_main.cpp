// ssd-train: config -> data, model, optimizer, schedule -> training run with checkpoints.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/common.h"
#include "ssd/config/load.h"
#include "ssd/engine/checkpoint.h"
#include "ssd/engine/runtime.h"
#include "ssd/engine/trainer.h"
#include "ssd/model/ssd.h"
#include "ssd/util/error.h"

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-train: train an SSD detector from a YAML config.\n\n"
      "Examples:\n"
      "  ssd-train --config configs/shapes.yaml                          # train; checkpoints in train.run_dir\n"
      "  ssd-train --resume runs/shapes                                  # continue exactly where it stopped\n"
      "  ssd-train --resume runs/shapes --set train.epochs=40            # ... and train longer\n"
      "  ssd-train --config configs/voc_ssd300_vgg16.yaml --dry-run      # build the model, print its summary\n"
      "  ssd-train --config configs/voc_ssd300_vgg16.yaml --print-config # every key, resolved\n"
      "  ssd-train --config C --set model.image_size=512 --device cpu     # override keys from the command line\n\n"
      "The run directory receives train.log, metrics.csv, training.png, config.yaml, last.pt and best.pt.\n"
      "Ctrl-C (SIGINT) or SIGTERM writes last.pt and exits; --resume continues from it.",
      "ssd-train"};
  ssd::cli::CommonOptions common;
  ssd::cli::add_common_options(app, common);
  bool dry_run = false;
  std::string resume;
  app.add_flag("--dry-run", dry_run, "Build the model and default boxes from the config, print the summary, and exit");
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
    c10::Device device(c10::kCPU);
    const std::string runtime = ssd::engine::apply_runtime(config.runtime, &device);
    if (dry_run) {
      auto model = ssd::model::build_ssd(config.model, static_cast<int64_t>(config.data.classes.size()) + 1);
      model->to(device);
      std::cout << runtime << "\n" << model->summary();
      return 0;
    }
    spdlog::info("{}", runtime);
    ssd::engine::install_stop_signal_handlers();
    ssd::engine::Trainer trainer(config, device, resume);
    const auto result = trainer.run();
    return result.interrupted ? static_cast<int>(ssd::kExitInterrupted) : 0;
  });
}
