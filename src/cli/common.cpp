#include "cli/common.h"

#include <spdlog/spdlog.h>

#include <iostream>

#include "ssd/config/load.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/model/registry.h"
#include "ssd/util/error.h"

namespace ssd::cli {

void add_common_options(CLI::App& app, CommonOptions& o) {
  app.add_option("-c,--config", o.config_path, "YAML config file (every key: docs/config.md); defaults apply to what it leaves out")
      ->check(CLI::ExistingFile);
  app.add_option("--set", o.overrides, "Override one config key, e.g. --set model.image_size=512 (repeatable; applied after --config)")
      ->take_all()
      ->allow_extra_args(false);
  app.add_option("--device", o.device, "Shorthand for --set runtime.device=... (auto, cpu, cuda, cuda:N)");
  app.add_option("--threads", o.threads, "Shorthand for --set runtime.threads=... (0 = all cores)");
  app.add_flag("--print-config", o.print_config, "Print the resolved config as YAML and exit");
  app.add_flag("--config-reference", o.config_reference, "Print the reference of every config key (Markdown) and exit");
  app.add_flag("--list-backbones", o.list_backbones, "List the backbones model.backbone accepts and exit");
  app.add_flag("--list-heads", o.list_heads, "List the heads model.head accepts and exit");
  app.add_flag("--list-losses", o.list_losses, "List the losses loss.name accepts and exit");
}

std::vector<std::string> all_overrides(const CommonOptions& o) {
  auto overrides = o.overrides;
  if (!o.device.empty()) overrides.push_back("runtime.device=" + o.device);
  if (o.threads >= 0) overrides.push_back("runtime.threads=" + std::to_string(o.threads));
  return overrides;
}

config::Config load_config(const CommonOptions& o) { return config::load_config(o.config_path, all_overrides(o)); }

bool handle_info_flags(const CommonOptions& o, const config::Config& c) {
  if (o.config_reference) std::cout << config::reference_markdown();
  if (o.print_config) std::cout << config::to_yaml(c);
  if (o.list_backbones) std::cout << "backbones (model.backbone):\n" << model::backbone_registry().listing();
  if (o.list_heads) std::cout << "heads (model.head; auto = the backbone's own):\n" << model::head_registry().listing();
  if (o.list_losses) std::cout << "losses (loss.name):\n" << loss::loss_registry().listing();
  return o.config_reference || o.print_config || o.list_backbones || o.list_heads || o.list_losses;
}

int run_tool(const std::string& tool, CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // prints --help, or the usage error, with CLI11's exit code
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
