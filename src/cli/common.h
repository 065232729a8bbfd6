#pragma once
// What the three tools share: --config, --set, --device, --threads, --print-config, --list-*, and the
// exception -> exit-code mapping. Each main builds its own CLI11 app on top of this.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ssd/config/config.h"

namespace ssd::cli {

struct CommonOptions {
  std::string config_path;
  std::vector<std::string> overrides;  ///< --set key=value, in order
  std::string device;                  ///< --device, shorthand for --set runtime.device=...
  int64_t threads = -1;                ///< --threads, shorthand for --set runtime.threads=...
  bool print_config = false;
  bool config_reference = false;
  bool list_backbones = false, list_heads = false, list_losses = false;
};

/// Adds the shared flags to `app`.
void add_common_options(CLI::App& app, CommonOptions& options);

/// --set in order, then --device / --threads as overrides (they win over both).
std::vector<std::string> all_overrides(const CommonOptions& options);

/// Loads --config, then all_overrides().
config::Config load_config(const CommonOptions& options);

/// Handles --print-config, --config-reference and --list-*: prints and returns true when one was given.
bool handle_info_flags(const CommonOptions& options, const config::Config& config);

/// Sets up console logging and runs body(), mapping exceptions to the exit codes of ssd/util/error.h with one
/// clear message on stderr.
int run_tool(const std::string& tool, CLI::App& app, int argc, char** argv, const std::function<int()>& body);

}  // namespace ssd::cli
