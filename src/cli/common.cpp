#include "cli/common.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

#include "ssd/config/load.h"
#include "ssd/data/augment_steps/step.h"
#include "ssd/data/formats/registry.h"
#include "ssd/loss/box_loss.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/lr/schedule.h"
#include "ssd/model/registry.h"
#include "ssd/optim/registry.h"
#include "ssd/util/error.h"
#include "ssd/util/process_info.h"

namespace ssd::cli {

namespace {

// Every plug-in table, as its --list-<kind> flag prints it.
struct Listing {
  const char* kind;
  const char* help;
  std::function<std::string()> text;
};

const std::vector<Listing>& listings() {
  static const std::vector<Listing> all = {
      {"backbones", "the backbones model.backbone accepts", [] { return "backbones (model.backbone):\n" + model::backbone_registry().listing(); }},
      {"heads", "the heads model.head accepts",
       [] { return "heads (model.head; auto = the backbone's own):\n" + model::head_registry().listing(); }},
      {"losses", "the losses loss.name accepts", [] { return "losses (loss.name):\n" + loss::loss_registry().listing(); }},
      {"box-losses", "the box terms loss.box accepts",
       [] { return "box losses (loss.box; formulas in include/ssd/loss/box_loss.h):\n" + loss::box_loss_registry().listing(); }},
      {"optimizers", "the optimizers solver.optimizer accepts",
       [] { return "optimizers (solver.optimizer):\n" + optim::optimizer_registry().listing(); }},
      {"schedules", "the schedules schedule.name accepts",
       [] { return "schedules (schedule.name; formulas in docs/schedules.md):\n" + lr::schedule_registry().listing(); }},
      {"augmentations", "the steps augment.pipeline accepts",
       [] { return "augmentation steps (augment.pipeline; each one's keys: augment.<step>.*, docs/config.md):\n" +
                   data::augment_steps::step_registry().listing(); }},
      {"formats", "the data formats data.train.format and data.val.format accept",
       [] { return "data formats (data.train.format, data.val.format):\n" + data::format_registry().listing(); }},
  };
  return all;
}

}  // namespace

void add_config_options(CLI::App& app, CommonOptions& o, bool with_config_file) {
  if (with_config_file)
    app.add_option("-c,--config", o.config_path, "YAML config file (every key: docs/config.md); defaults apply to what it leaves out")
        ->check(CLI::ExistingFile);
  app.add_option("--set", o.overrides, "Override one config key, e.g. --set model.image_size=512 (repeatable; applied after the config)")
      ->take_all()
      ->allow_extra_args(false);
  app.add_option("--device", o.device, "Shorthand for --set runtime.device=... (auto, cpu, cuda, cuda:N)");
  app.add_option("--threads", o.threads, "Shorthand for --set runtime.threads=... (0 = all cores)");
  app.add_flag("--print-config", o.print_config, "Print the resolved config as YAML and exit");
}

void add_slicing_options(CLI::App& app, CommonOptions& o) {
  app.add_flag("--sliced", o.sliced,
               "Sliced inference, for small objects in large images: a grid of tiles of model.image_size pixels at "
               "--tile-scale, the whole image too (tiling.whole_image), detections merged. Shorthand for --set tiling.infer=true");
  app.add_option("--tile-scale", o.tile_scale, "Shorthand for --set tiling.scale=... (a tile covers model.image_size / scale "
                 "source pixels; 1 = native resolution)");
  app.add_option("--tile-overlap", o.tile_overlap, "Shorthand for --set tiling.overlap=... (share of a tile's side that neighbours share)");
  app.add_option("--tile-merge", o.tile_merge, "Shorthand for --set tiling.merge=... (nms or wbf)");
}

void add_reference_options(CLI::App& app, CommonOptions& o) {
  app.add_flag("--config-reference", o.config_reference, "Print the reference of every config key (Markdown) and exit");
  for (const auto& l : listings())
    app.add_flag_callback(std::string("--list-") + l.kind, [&o, kind = std::string(l.kind)] { o.lists.push_back(kind); },
                          std::string("List ") + l.help + " and exit");
}

std::vector<std::string> all_overrides(const CommonOptions& o) {
  auto overrides = o.overrides;
  if (!o.device.empty()) overrides.push_back("runtime.device=" + o.device);
  if (o.threads >= 0) overrides.push_back("runtime.threads=" + std::to_string(o.threads));
  if (o.sliced) overrides.push_back("tiling.infer=true");
  if (!o.tile_scale.empty()) overrides.push_back("tiling.scale=" + o.tile_scale);
  if (!o.tile_overlap.empty()) overrides.push_back("tiling.overlap=" + o.tile_overlap);
  if (!o.tile_merge.empty()) overrides.push_back("tiling.merge=" + o.tile_merge);
  return overrides;
}

config::Config load_config(const CommonOptions& o) { return config::load_config(o.config_path, all_overrides(o)); }

bool handle_reference_flags(const CommonOptions& o) {
  if (o.config_reference) std::cout << config::reference_markdown();
  for (const auto& kind : o.lists)
    for (const auto& l : listings())
      if (kind == l.kind) std::cout << l.text();
  return o.config_reference || !o.lists.empty();
}

bool handle_print_config(const CommonOptions& o, const config::Config& c) {
  if (o.print_config) std::cout << config::to_yaml(c);
  return o.print_config;
}

int run_tool(const std::string& tool, CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  util::set_command_line(argc, argv);  // for the files that record how a run was started (summary.json)
  // Past a file size limit (ulimit -f) a write fails with EFBIG and is reported like a full disk, instead of the
  // signal ending the process without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Prints --help, or the usage error. CLI11 numbers its errors from 101 up; the README promises 2 for all of them.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  try {
    return body();
  } catch (const ConfigError& e) {
    std::cerr << tool << ": config error: " << e.what() << "\n";
    return kExitConfig;
  } catch (const DataError& e) {
    std::cerr << tool << ": data error: " << e.what() << "\n";
    return kExitData;
  } catch (const CheckpointError& e) {
    std::cerr << tool << ": checkpoint error: " << e.what() << "\n";
    return kExitCheckpoint;
  } catch (const c10::Error& e) {
    std::cerr << tool << ": error: " << e.what_without_backtrace() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace ssd::cli
