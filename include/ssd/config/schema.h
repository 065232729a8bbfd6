#pragma once
// The key table: every YAML key, its field, type, default, meaning, allowed values and consumer.
// It drives parsing (with did-you-mean), --print-config, and docs/config.md.
#include <functional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "ssd/config/config.h"

namespace ssd::config {

/// Where a value came from, for error messages: "file.yaml:3:5" or "--set".
struct Location {
  std::string origin;  ///< file path, or "--set"
  int line = -1;       ///< 1-based; -1 when unknown
  int column = -1;     ///< 1-based; -1 when unknown
  std::string str() const;
  static Location of(const std::string& origin, const YAML::Node& node);
};

struct Key {
  std::string path;      ///< dotted YAML path, e.g. "model.image_size"
  std::string type;      ///< human-readable type, e.g. "integer"
  std::string allowed;   ///< human-readable constraint, e.g. ">= 32", or ""
  std::string doc;       ///< one line of meaning
  std::string consumer;  ///< the function that reads the field (to find it in the code)
  /// Converts, validates and assigns; throws ConfigError naming `where` and the path.
  std::function<void(Config&, const YAML::Node&, const Location& where)> read;
  /// Emits the current value as a YAML scalar or sequence.
  std::function<void(const Config&, YAML::Emitter&)> write;
  /// For a key that only some choices read (a plug-in's own key, the paper's augmentation's): why its value has no
  /// effect under this config, or "" when it is read. Empty function: always read.
  std::function<std::string(const Config&)> unused;
};

class Schema {
 public:
  static const Schema& instance();
  const std::vector<Key>& keys() const { return keys_; }
  const Key* find(const std::string& path) const;
  /// True for an inner node such as "model" or "model.priors".
  bool is_section(const std::string& path) const;
  /// Every leaf and section path, for suggestions.
  std::vector<std::string> all_paths() const;

 private:
  Schema();
  std::vector<Key> keys_;
};

}  // namespace ssd::config
