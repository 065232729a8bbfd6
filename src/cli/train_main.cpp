// ssd-train: config -> model (+ data, optimizer, schedule) -> training run.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/common.h"
#include "ssd/util/error.h"
#include "ssd/engine/runtime.h"
#include "ssd/model/ssd.h"

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-train: train an SSD detector from a YAML config.\n\n"
      "Examples:\n"
      "  ssd-train --config configs/voc_ssd300_vgg16.yaml --dry-run      # build the model, print its summary\n"
      "  ssd-train --config configs/voc_ssd300_vgg16.yaml --print-config # every key, resolved\n"
      "  ssd-train --config C --set model.image_size=512 --device cpu     # override keys from the command line\n",
      "ssd-train"};
  ssd::cli::CommonOptions common;
  ssd::cli::add_common_options(app, common);
  bool dry_run = false;
  app.add_flag("--dry-run", dry_run, "Build the model and default boxes from the config, print the summary, and exit");

  return ssd::cli::run_tool("ssd-train", app, argc, argv, [&] {
    const auto config = ssd::cli::load_config(common);
    if (ssd::cli::handle_info_flags(common, config)) return 0;
    c10::Device device(c10::kCPU);
    const std::string runtime = ssd::engine::apply_runtime(config.runtime, &device);
    auto model = ssd::model::build_ssd(config.model, static_cast<int64_t>(config.data.classes.size()) + 1);
    model->to(device);
    std::cout << runtime << "\n" << model->summary();
    if (dry_run) return 0;
    throw ssd::ConfigError("training needs a data set: the data.* section and the training loop come with the "
                           "end-to-end pipeline; use --dry-run to check a model config");
  });
}
