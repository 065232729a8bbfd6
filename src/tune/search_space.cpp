#include "ssd/tune/search_space.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <regex>

#include "ssd/config/schema.h"
#include "ssd/util/error.h"
#include "ssd/util/suggest.h"

namespace ssd::tune {

namespace {

std::string where(const std::string& path, const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.is_null() ? path : path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

double number(const std::string& text, const std::string& at) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    throw ConfigError(at + ": '" + text + "' is not a number");
  }
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

Distribution parse_distribution(const std::string& key, const std::string& text, const std::string& at) {
  static const std::regex form(R"(^\s*(loguniform|uniform|int|choice|grid)\s*\((.*)\)\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, form))
    throw ConfigError(at + ": " + key + ": expected loguniform(lo, hi), uniform(lo, hi), int(lo, hi), choice([a, b, ...]) or grid([a, b, ...]), got '" + text + "'");
  Distribution d;
  d.key = key;
  d.kind = m[1];
  const std::string args = m[2];
  if (d.kind == "choice" || d.kind == "grid") {
    const YAML::Node list = YAML::Load(args);
    if (!list.IsSequence() || list.size() == 0) throw ConfigError(at + ": " + key + ": " + d.kind + " needs a non-empty list, e.g. " + d.kind + "([sgd, adamw])");
    for (const auto& item : list) {
      YAML::Emitter out;
      out << YAML::Flow << item;
      d.choices.push_back(out.c_str());
    }
    return d;
  }
  const auto comma = args.find(',');
  if (comma == std::string::npos) throw ConfigError(at + ": " + key + ": " + d.kind + " needs two bounds, e.g. " + d.kind + "(1, 10)");
  d.lo = number(trim(args.substr(0, comma)), at + ": " + key);
  d.hi = number(trim(args.substr(comma + 1)), at + ": " + key);
  if (!(d.lo < d.hi)) throw ConfigError(at + ": " + key + ": the lower bound must be below the upper one");
  if (d.kind == "loguniform" && d.lo <= 0) throw ConfigError(at + ": " + key + ": loguniform needs positive bounds");
  return d;
}

}  // namespace

std::vector<std::string> SearchSpace::signals() const {
  if (monitor == "auto") return {"val/mAP", "val/loss"};
  return {monitor};
}

std::string Distribution::sample(std::mt19937_64& rng, int64_t trial) const {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  char buf[64];
  if (kind == "grid") return choices[static_cast<size_t>(trial) % choices.size()];
  if (kind == "choice") return choices[std::uniform_int_distribution<size_t>(0, choices.size() - 1)(rng)];
  if (kind == "int") {
    std::snprintf(buf, sizeof(buf), "%lld",
                  static_cast<long long>(std::uniform_int_distribution<int64_t>(std::llround(lo), std::llround(hi))(rng)));
    return buf;
  }
  const double v = kind == "loguniform" ? std::exp(std::log(lo) + u(rng) * (std::log(hi) - std::log(lo))) : lo + u(rng) * (hi - lo);
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  std::string s = buf;
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";  // stays a number for double keys
  return s;
}

SearchSpace load_search_space(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": search space file not found (--space)");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw ConfigError(path + ": a search space is a mapping with a 'space' section");
  SearchSpace s;
  const std::vector<std::string> known = {"method", "trials", "min_epochs", "max_epochs", "schedule_epochs", "eta", "monitor", "mode",
                                          "confidence", "map_floor", "bootstrap", "undecided", "baseline", "seed", "lr_from_range_test", "space"};
  for (const auto& entry : root) {
    const auto name = entry.first.as<std::string>();
    const auto at = where(path, entry.first);
    const auto& v = entry.second;
    try {
      if (name == "method") s.method = v.as<std::string>();
      else if (name == "trials") s.trials = v.as<int64_t>();
      else if (name == "min_epochs") s.min_epochs = v.as<double>();
      else if (name == "max_epochs") s.max_epochs = v.as<double>();
      else if (name == "schedule_epochs") s.schedule_epochs = v.as<double>();
      else if (name == "eta") s.eta = v.as<double>();
      else if (name == "monitor") s.monitor = v.as<std::string>();
      else if (name == "mode") s.mode = v.as<std::string>();
      else if (name == "confidence") s.confidence = v.as<double>();
      else if (name == "map_floor") s.map_floor = v.as<double>();
      else if (name == "bootstrap") s.bootstrap = v.as<int64_t>();
      else if (name == "undecided") s.undecided = v.as<std::string>();
      else if (name == "baseline") s.baseline = v.as<std::string>();
      else if (name == "seed") s.seed = v.as<int64_t>();
      else if (name == "lr_from_range_test") s.lr_from_range_test = v.as<bool>();
      else if (name == "space") {
        if (!v.IsMap()) throw ConfigError(at + ": space: expected a mapping of config keys to distributions");
        for (const auto& p : v) {
          const auto key = p.first.as<std::string>();
          const auto key_at = where(path, p.first);
          if (!config::Schema::instance().find(key))
            throw ConfigError(key_at + ": space: '" + key + "' is not a config key" +
                              util::did_you_mean(key, config::Schema::instance().all_paths()) + " (docs/config.md)");
          s.params.push_back(parse_distribution(key, p.second.as<std::string>(), key_at));
        }
      } else {
        throw ConfigError(at + ": unknown field '" + name + "'" + util::did_you_mean(name, known));
      }
    } catch (const YAML::Exception&) {
      throw ConfigError(at + ": " + name + ": wrong type");
    }
  }
  if (s.method != "successive_halving" && s.method != "hyperband")
    throw ConfigError(path + ": method: expected successive_halving or hyperband, got '" + s.method + "'");
  if (s.monitor != "auto" && s.monitor != "val/mAP" && s.monitor != "val/loss" && s.monitor != "val/mAP07")
    throw ConfigError(path + ": monitor: expected auto, val/mAP, val/mAP07 or val/loss, got '" + s.monitor + "'");
  if (s.mode != "auto" && s.mode != "min" && s.mode != "max") throw ConfigError(path + ": mode: expected auto, min or max");
  if (s.monitor == "auto" && s.mode != "auto")
    throw ConfigError(path + ": mode: monitor auto ranks by val/mAP (max) or val/loss (min); mode must be auto with it");
  if (!(s.confidence >= 0.5 && s.confidence <= 1))
    throw ConfigError(path + ": confidence: a share of bootstrap resamples between 0.5 and 1, got " + std::to_string(s.confidence));
  if (!(s.map_floor >= 0 && s.map_floor < 1)) throw ConfigError(path + ": map_floor: an mAP in [0, 1), got " + std::to_string(s.map_floor));
  if (s.bootstrap < 0 || s.bootstrap > 100000) throw ConfigError(path + ": bootstrap: resamples per validation, 0 to 100000");
  if (s.undecided != "defer" && s.undecided != "cut")
    throw ConfigError(path + ": undecided: expected defer or cut, got '" + s.undecided + "'");
  if (s.baseline.empty()) throw ConfigError(path + ": baseline: expected search, train, none or a run directory");
  if (s.given_in_search() && s.method == "successive_halving" && s.trials < 2)
    throw ConfigError(path + ": trials: baseline search enters the config as given as one of the trials, so it needs at least 2 "
                      "(or set baseline: train)");
  if (s.trials < 1 || s.eta <= 1 || s.min_epochs <= 0 || s.max_epochs < s.min_epochs)
    throw ConfigError(path + ": need trials >= 1, eta > 1 and 0 < min_epochs <= max_epochs");
  if (s.schedule_epochs != 0 && s.schedule_epochs < s.max_epochs)
    throw ConfigError(path + ": schedule_epochs: the planned run (" + std::to_string(s.schedule_epochs) + " epochs) must be at least "
                      "max_epochs (" + std::to_string(s.max_epochs) + "), or 0 for max_epochs");
  if (s.params.empty()) throw ConfigError(path + ": space: no keys to search");
  return s;
}

}  // namespace ssd::tune
