#pragma once
// One explicit table per kind of plug-in (backbones, heads, losses, optimizers, schedules, data formats): name ->
// entry. An entry is a struct with at least `name` and `description`, plus whatever belongs to the plug-in (its
// factory; for a schedule or an optimizer its own config keys; for a backbone its weight-file maps). Unknown names
// are ConfigErrors that name the config key, suggest the closest name and list the others; `listing()` is what the
// tools' --list-* flags print.
#include <string>
#include <utility>
#include <vector>

#include "ssd/util/error.h"
#include "ssd/util/suggest.h"

namespace ssd::util {

/// The entry of a plug-in that is nothing but a factory.
template <typename Factory>
struct Plugin {
  std::string name;
  std::string description;
  Factory factory;
};

template <typename Entry>
class Registry {
 public:
  /// kind: "backbone"; config_key: "model.backbone" (named in errors).
  Registry(std::string kind, std::string config_key, std::vector<Entry> entries)
      : kind_(std::move(kind)), config_key_(std::move(config_key)), entries_(std::move(entries)) {}

  const Entry& get(const std::string& name) const { return get(name, config_key_); }
  /// The same, naming `config_key` in the error (data.val.format where the table's key is data.train.format).
  const Entry& get(const std::string& name, const std::string& config_key) const {
    for (const auto& e : entries_)
      if (e.name == name) return e;
    throw ConfigError(config_key + ": unknown " + kind_ + " '" + name + "'" + did_you_mean(name, names()) + "; available: " + joined_names());
  }
  bool contains(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return true;
    return false;
  }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::string& kind() const { return kind_; }
  const std::string& config_key() const { return config_key_; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }
  std::string joined_names() const {
    std::string out;
    for (const auto& e : entries_) out += (out.empty() ? "" : ", ") + e.name;
    return out;
  }
  /// "name  description" lines for --list-... flags.
  std::string listing() const {
    std::string out;
    for (const auto& e : entries_) out += "  " + e.name + std::string(e.name.size() < 22 ? 22 - e.name.size() : 1, ' ') + e.description + "\n";
    return out;
  }

 private:
  std::string kind_;
  std::string config_key_;
  std::vector<Entry> entries_;
};

}  // namespace ssd::util
