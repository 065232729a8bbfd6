// ssd-data: tools for a data set before training. analyze: the boxes as the model will see them, and whether its
// default boxes can match them.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/common.h"
#include "ssd/analysis/analyze.h"
#include "ssd/runtime/runtime.h"

int main(int argc, char** argv) {
  CLI::App app{"ssd-data: look at a data set before training on it.\n\n"
               "Example:\n"
               "  ssd-data analyze --config configs/shapes.yaml               # box sizes, default-box coverage, fitted priors\n"
               "  ssd-data analyze --config configs/voc_ssd512_vgg16.yaml --out runs/voc_analysis",
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
  return ssd::cli::run_tool("ssd-data", app, argc, argv, [&] {
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
