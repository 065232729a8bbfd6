#pragma once
// What a config key accepts: a predicate on its value and the words that describe it ("in [0, 1]"), shown in errors
// and in docs/config.md. Shared by the schema's own table (config/schema.cpp) and the keys that plug-ins declare
// beside themselves (config/plugin_params.h).
#include <algorithm>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ssd/util/suggest.h"

namespace ssd::config {

template <typename T>
struct Rule {
  std::string allowed;               ///< shown in errors and docs; "" = anything of the type
  std::function<bool(const T&)> ok;  ///< true when the value is allowed
  std::function<std::string(const T&)> why = {};  ///< optional: what is wrong with a refused value (a did-you-mean)
};

template <typename T>
Rule<T> any() {
  return {"", [](const T&) { return true; }};
}

inline Rule<std::string> one_of(std::vector<std::string> names) {
  std::string allowed = "one of";
  for (size_t i = 0; i < names.size(); ++i) allowed += (i ? ", " : " ") + names[i];
  return {allowed, [names](const std::string& v) { return std::find(names.begin(), names.end(), v) != names.end(); }};
}

template <typename T>
Rule<T> at_least(T lo) {
  std::ostringstream os;
  os << ">= " << lo;
  return {os.str(), [lo](const T& v) { return v >= lo; }};
}

template <typename T>
Rule<T> in_range(T lo, T hi) {
  std::ostringstream os;
  os << "in [" << lo << ", " << hi << "]";
  return {os.str(), [lo, hi](const T& v) { return v >= lo && v <= hi; }};
}

inline Rule<double> positive() {
  return {"> 0", [](const double& v) { return v > 0; }};
}

/// Numbers > 0; exact_size > 0 also fixes how many.
inline Rule<std::vector<double>> all_positive(size_t exact_size = 0) {
  std::string allowed = exact_size ? std::to_string(exact_size) + " numbers, each > 0" : "numbers > 0";
  return {allowed, [exact_size](const std::vector<double>& v) {
            if (exact_size && v.size() != exact_size) return false;
            return std::all_of(v.begin(), v.end(), [](double x) { return x > 0; });
          }};
}

/// Numbers in [0, 1]; exact_size > 0 also fixes how many.
inline Rule<std::vector<double>> unit_interval_list(size_t exact_size = 0) {
  std::string allowed = exact_size ? std::to_string(exact_size) + " numbers in [0, 1]" : "numbers in [0, 1]";
  return {allowed, [exact_size](const std::vector<double>& v) {
            if (exact_size && v.size() != exact_size) return false;
            return std::all_of(v.begin(), v.end(), [](double x) { return x >= 0 && x <= 1; });
          }};
}

inline Rule<std::vector<double>> numbers(size_t exact_size) {
  return {std::to_string(exact_size) + " numbers", [exact_size](const std::vector<double>& v) { return v.size() == exact_size; }};
}

inline Rule<std::vector<double>> at_most_one() {
  return {"at most one number", [](const std::vector<double>& v) { return v.size() <= 1; }};
}

inline Rule<std::vector<std::string>> nonempty_names() {
  return {"a non-empty list of non-empty names", [](const std::vector<std::string>& v) {
            return !v.empty() && std::none_of(v.begin(), v.end(), [](const std::string& s) { return s.empty(); });
          }};
}

inline Rule<std::vector<std::string>> nonempty_unique_names() {
  return {"a non-empty list of distinct, non-empty names", [](const std::vector<std::string>& v) {
            if (v.empty()) return false;
            std::set<std::string> seen;
            for (const auto& s : v)
              if (s.empty() || !seen.insert(s).second) return false;
            return true;
          }};
}

/// An interval [a, b] within [lo, hi], a <= b ([a]: that value).
inline Rule<std::vector<double>> interval_within(double lo, double hi) {
  std::ostringstream os;
  os << "[a, b] with " << lo << " <= a <= b <= " << hi << " (or [a]: that value)";
  return {os.str(), [lo, hi](const std::vector<double>& v) {
            if (v.empty() || v.size() > 2) return false;
            return v.front() >= lo && v.back() <= hi && v.front() <= v.back();
          }};
}

/// Distinct names, each one of `names` (a pipeline of plug-ins, each used once); a wrong one gets a did-you-mean.
inline Rule<std::vector<std::string>> distinct_names_of(std::vector<std::string> names) {
  std::string allowed = "distinct names among";
  for (size_t i = 0; i < names.size(); ++i) allowed += (i ? ", " : " ") + names[i];
  const auto known = [names](const std::string& v) { return std::find(names.begin(), names.end(), v) != names.end(); };
  return {allowed,
          [known](const std::vector<std::string>& v) {
            std::set<std::string> seen;
            return std::all_of(v.begin(), v.end(), [&](const std::string& s) { return known(s) && seen.insert(s).second; });
          },
          [known, names](const std::vector<std::string>& v) {
            std::set<std::string> seen;
            for (const auto& s : v) {
              if (!known(s)) return "unknown step '" + s + "'" + util::did_you_mean(s, names);
              if (!seen.insert(s).second) return "'" + s + "' is there twice";
            }
            return std::string();
          }};
}

}  // namespace ssd::config
