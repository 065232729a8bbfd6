// ssd-detect: checkpoint + images -> boxes, annotated images, JSON.
#include <iostream>

#include "cli/common.h"
#include "ssd/util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"ssd-detect: run an SSD checkpoint on images; writes annotated images and COCO-style JSON.", "ssd-detect"};
  ssd::cli::CommonOptions common;
  ssd::cli::add_common_options(app, common);
  return ssd::cli::run_tool("ssd-detect", app, argc, argv, [&] {
    const auto config = ssd::cli::load_config(common);
    if (ssd::cli::handle_info_flags(common, config)) return 0;
    throw ssd::ConfigError("ssd-detect needs a checkpoint and images; see ssd-detect --help");
  });
}
