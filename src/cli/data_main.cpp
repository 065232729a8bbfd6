// ssd-data: tools for a data set before training. analyze: the boxes as the model will see them, and whether its
// default boxes can match them. preview: augmented training samples with their boxes.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/common.h"
#include "ssd/analysis/analyze.h"
#include "ssd/analysis/augment_preview.h"
#include "ssd/runtime/runtime.h"

int main(int argc, char** argv) {
  CLI::App app{"ssd-data: look at a data set before training on it.\n\n"
               "Example:\n"
               "  ssd-data analyze --config configs/shapes.yaml               # box sizes, default-box coverage, fitted priors\n"
               "  ssd-data analyze --config configs/voc_ssd512_vgg16.yaml --out runs/voc_analysis\n"
               "  ssd-data preview --config configs/shapes_heavy_augment.yaml --out grid.png  # augmented samples with their boxes",
               "ssd-data"};
  app.require_subcommand(1);
  auto* analyze = app.add_subcommand(
      "analyze",
      "Statistics of the training boxes after the configured resize (per class: count, side and aspect ratio; a histogram as\n"
      "PNG and CSV), the share of boxes that no default box matches at model.iou_threshold with the config's default boxes,\n"
      "and default boxes fitted to the data (k-means of the box shapes on 1 - IoU, mapped onto the feature maps) with the\n"
      "share they would leave unmatched, printed as YAML to paste into the config. Writes boxes.csv (each box with its best\n"
      "IoU now and with the proposal), box_sizes.csv, box_sizes.png and priors.yaml.");
  ssd::cli::CommonOptions common;
  ssd::cli::add_config_options(*analyze, common, /*with_config_file=*/true);
  std::string out;
  analyze->add_option("--out", out, "Output folder (default: <train.run_dir>/data_analysis)");
  auto* preview = app.add_subcommand(
      "preview",
      "What the model sees: training images through the configured tile (tiling.train) and augmentation (augment.*; the\n"
      "steps of augment.pipeline, ssd-train --list-augmentations), at the model's input size, each drawn with its boxes\n"
      "and class names, in one grid (PNG). The same --seed gives the same grid.");
  ssd::cli::CommonOptions preview_common;
  ssd::cli::add_config_options(*preview, preview_common, /*with_config_file=*/true);
  std::string preview_out;
  ssd::analysis::PreviewOptions preview_options;
  preview->add_option("--out", preview_out, "The grid (PNG; default: <train.run_dir>/augment_preview.png)");
  preview->add_option("--samples", preview_options.samples, "Images in the grid")->capture_default_str()->check(CLI::Range(1, 400));
  preview->add_option("--columns", preview_options.columns, "Images per row")->capture_default_str()->check(CLI::Range(1, 40));
  preview->add_option("--seed", preview_options.seed, "Which images and which draws")->capture_default_str();
  return ssd::cli::run_tool("ssd-data", app, argc, argv, [&] {
    if (preview->parsed()) {
      const auto config = ssd::cli::load_config(preview_common);
      if (ssd::cli::handle_print_config(preview_common, config)) return 0;
      c10::Device device(c10::kCPU);
      spdlog::info("{}", ssd::runtime::apply_runtime(config.runtime, &device));
      if (preview_out.empty()) preview_out = config.train.run_dir + "/augment_preview.png";
      const auto grid = ssd::analysis::preview_augmentation(config, preview_out, preview_options);
      std::cout << "wrote " << grid.path << " (" << grid.samples << " augmented training images, " << grid.boxes << " boxes)\n";
      return 0;
    }
    const auto config = ssd::cli::load_config(common);
    if (ssd::cli::handle_print_config(common, config)) return 0;
    c10::Device device(c10::kCPU);
    spdlog::info("{}", ssd::runtime::apply_runtime(config.runtime, &device));
    if (out.empty()) out = config.train.run_dir + "/data_analysis";
    const auto analysis = ssd::analysis::analyze_data(config, out);
    for (const auto& line : analysis.lines) std::cout << line << "\n";
    std::cout << "\nwrote";
    for (const auto& f : analysis.files) std::cout << " " << f;
    std::cout << "\n";
    return 0;
  });
}
