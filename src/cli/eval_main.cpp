// ssd-eval: checkpoint + data set -> mAP.
#include <iostream>

#include "cli/common.h"
#include "ssd/util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"ssd-eval: evaluate an SSD checkpoint on a data set (VOC07 11-point, VOC all-point, COCO mAP).", "ssd-eval"};
  ssd::cli::CommonOptions common;
  ssd::cli::add_common_options(app, common);
  return ssd::cli::run_tool("ssd-eval", app, argc, argv, [&] {
    const auto config = ssd::cli::load_config(common);
    if (ssd::cli::handle_info_flags(common, config)) return 0;
    throw ssd::ConfigError("ssd-eval needs a checkpoint and a data set; see ssd-eval --help");
  });
}
