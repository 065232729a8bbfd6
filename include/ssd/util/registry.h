#pragma once
// One explicit table per kind of plug-in (backbones, heads, losses, ...): name -> description + factory.
// Unknown names are ConfigErrors that name the config key, suggest the closest name and list the others.
#include <string>
#include <utility>
#include <vector>

#include "ssd/util/error.h"
#include "ssd/util/suggest.h"

namespace ssd::util {

template <typename Factory>
class Registry {
 public:
  struct Entry {
    std::string name;
    std::string description;
    Factory factory;
  };

  /// kind: "backbone"; config_key: "model.backbone" (named in errors).
  Registry(std::string kind, std::string config_key, std::vector<Entry> entries)
      : kind_(std::move(kind)), config_key_(std::move(config_key)), entries_(std::move(entries)) {}

  const Entry& get(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return e;
    throw ConfigError(config_key_ + ": unknown " + kind_ + " '" + name + "'" + did_you_mean(name, names()) +
                      "; available: " + joined_names());
  }
  bool contains(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return true;
    return false;
  }
  const std::vector<Entry>& entries() const { return entries_; }
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
