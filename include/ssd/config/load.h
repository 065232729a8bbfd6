#pragma once
// YAML file + --set overrides -> validated Config. Errors are ConfigError with file:line:col and the key.
#include <string>
#include <vector>

#include "ssd/config/config.h"

namespace ssd::config {

/// Reads `path` (or only the defaults when path is empty), then applies each "a.b.c=value" override in order,
/// then validates the whole. Throws ConfigError.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

/// The same from YAML text; `origin` names it in errors (a file name or "<string>").
Config load_config_text(const std::string& yaml_text, const std::string& origin,
                        const std::vector<std::string>& overrides = {});

/// Applies one "a.b.c=value" assignment; the value is parsed as YAML ("[1, 2]", "true", "0.5", "text").
void apply_override(Config& config, const std::string& assignment);

/// Checks that involve several keys (single keys are checked as they are read).
void validate(const Config& config);

/// Each key set away from its default whose value nothing reads under this config (augment.<step>.* for a step not in
/// augment.pipeline, schedule.<name>.* and solver.<name>.* for a schedule or optimizer not chosen, the paper's
/// augment.*_prob keys beside a pipeline): "key: value has no effect: why", for a warning.
std::vector<std::string> unused_settings(const Config& config);

/// The resolved config as YAML, every key included, in schema order. load_config_text(to_yaml(c)) == c.
std::string to_yaml(const Config& config);

/// docs/config.md: every key with type, default, allowed values, meaning and consumer.
std::string reference_markdown();

}  // namespace ssd::config
