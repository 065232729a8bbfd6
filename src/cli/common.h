#pragma once
// What the tools share: the config options (--config, --set, --device, --threads), --print-config, the reference
// flags (--config-reference and every --list-*), and the exception -> exit-code mapping. Each tool offers only what it
// honours: ssd-train and ssd-tune all of them; ssd-eval, ssd-detect and ssd-export (whose config comes with the
// checkpoint) --set, --device, --threads and --print-config; ssd-detect also --config.
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
  bool sliced = false;                 ///< --sliced, shorthand for --set tiling.infer=true
  std::string tile_scale, tile_overlap, tile_merge;  ///< --tile-scale, --tile-overlap, --tile-merge (tiling.*)
  bool print_config = false;
  bool config_reference = false;
  std::vector<std::string> lists;      ///< the --list-* flags given, by kind ("backbones", ...)
};

/// --set, --device, --threads and --print-config; with_config_file adds --config.
void add_config_options(CLI::App& app, CommonOptions& options, bool with_config_file);

/// ssd-eval and ssd-detect: --sliced, --tile-scale, --tile-overlap and --tile-merge, shorthands for tiling.* keys.
void add_slicing_options(CLI::App& app, CommonOptions& options);

/// --config-reference and --list-<kind> for every plug-in table (backbones, heads, losses, optimizers, schedules,
/// formats).
void add_reference_options(CLI::App& app, CommonOptions& options);

/// --set in order, then the shorthands (--device, --threads, the slicing flags) as overrides (they win over both).
std::vector<std::string> all_overrides(const CommonOptions& options);

/// Loads --config, then all_overrides().
config::Config load_config(const CommonOptions& options);

/// Handles --config-reference and --list-*: prints and returns true when one was given (no config needed).
bool handle_reference_flags(const CommonOptions& options);

/// Handles --print-config: prints `config` and returns true when it was given.
bool handle_print_config(const CommonOptions& options, const config::Config& config);

/// Sets up console logging and runs body(), mapping exceptions to the exit codes of ssd/util/error.h with one
/// clear message on stderr.
int run_tool(const std::string& tool, CLI::App& app, int argc, char** argv, const std::function<int()>& body);

}  // namespace ssd::cli
