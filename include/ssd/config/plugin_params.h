#pragma once
// Parameters that belong to one plug-in (an LR schedule's, an optimizer's own hyper-parameters) live beside it: the
// plug-in's file declares a struct with the defaults and one PluginKey per field (its config key, rule, consumer and
// meaning), and its registry entry lists those keys. The config holds the structs in a PluginParams
// (ScheduleConfig::params, SolverConfig::params) by plug-in name, and the schema (config/schema.h) reads, checks and
// prints them through the keys. So adding such a plug-in touches neither config.h nor the schema table.
//
// Example, in a schedule's own file:
//   struct Params { double eta_min = 0.0; };
//   plugin_key("cosine", "schedule.cosine.eta_min", &Params::eta_min, at_least(0.0), "lr::CosineSchedule", "LR at T.")
//   ... and its factory reads config.params.get<Params>("cosine").eta_min.
#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "ssd/config/rules.h"

namespace ssd::config {

class PluginParams {
 public:
  /// The struct of `plugin`: its defaults when no key of it was set.
  template <typename P>
  const P& get(const std::string& plugin) const {
    const auto it = values_.find(plugin);
    if (it == values_.end()) {
      static const P defaults{};
      return defaults;
    }
    return std::any_cast<const P&>(it->second);
  }

  /// The struct of `plugin` to change; made with its defaults on first use.
  template <typename P>
  P& get(const std::string& plugin) {
    std::any& slot = values_[plugin];
    if (!slot.has_value()) slot = P{};
    return std::any_cast<P&>(slot);
  }

 private:
  std::map<std::string, std::any> values_;
};

/// Where a value of one of the key types lives.
using ValueRef = std::variant<bool*, int64_t*, double*, std::string*, std::vector<double>*, std::vector<std::string>*>;
using ConstValueRef = std::variant<const bool*, const int64_t*, const double*, const std::string*, const std::vector<double>*,
                                   const std::vector<std::string>*>;

struct PluginKey {
  std::string path;      ///< the dotted key, e.g. "schedule.cosine.eta_min"
  std::string allowed;   ///< the rule in words; "" = any value of the type
  std::string consumer;  ///< the code that reads the value
  std::string doc;       ///< one line of meaning
  std::function<ValueRef(PluginParams&)> field;               ///< the field to assign
  std::function<ConstValueRef(const PluginParams&)> value;    ///< the field to print
  std::function<bool(ConstValueRef candidate)> ok;            ///< the rule, on a value of the field's type
};

/// The key `path` that sets field `member` of plug-in `plugin`'s struct P.
template <typename P, typename T>
PluginKey plugin_key(const std::string& plugin, std::string path, T P::*member, Rule<T> rule, std::string consumer, std::string doc) {
  PluginKey k;
  k.path = std::move(path);
  k.allowed = rule.allowed;
  k.consumer = std::move(consumer);
  k.doc = std::move(doc);
  k.field = [plugin, member](PluginParams& p) -> ValueRef { return &(p.get<P>(plugin).*member); };
  k.value = [plugin, member](const PluginParams& p) -> ConstValueRef { return &(p.get<P>(plugin).*member); };
  k.ok = [ok = std::move(rule.ok)](ConstValueRef candidate) { return ok(*std::get<const T*>(candidate)); };
  return k;
}

}  // namespace ssd::config
