#include "ssd/engine/early_stopping.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "ssd/util/error.h"

namespace ssd::engine {

EarlyStopping::EarlyStopping(const config::EarlyStopConfig& config)
    : config_(config), maximise_(config.mode == "max" || (config.mode == "auto" && config.monitor == "val/mAP")),
      best_(maximise_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity()) {}

bool EarlyStopping::better(double current, double reference) const {
  return maximise_ ? current - config_.min_delta > reference : current + config_.min_delta < reference;
}

bool EarlyStopping::update(const std::map<std::string, double>& metrics, bool* improved) {
  if (improved) *improved = false;
  const auto it = metrics.find(config_.monitor);
  if (it == metrics.end() || std::isnan(it->second)) {
    // A missing or NaN metric (a validation that scored nothing) counts as no improvement.
    ++wait_;
    return enabled() && wait_ >= config_.patience;
  }
  const double current = it->second;
  ++wait_;
  if (better(current, best_)) {
    best_ = current;
    if (improved) *improved = true;
    if (config_.baseline.empty() || better(current, config_.baseline.front())) wait_ = 0;
  }
  return enabled() && wait_ >= config_.patience;
}

std::string EarlyStopping::reason() const {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "early stop: %s has not improved (by more than %g) for %lld evaluations; best %.6g", config_.monitor.c_str(),
                config_.min_delta, static_cast<long long>(wait_), best_);
  std::string out = buf;
  if (!config_.baseline.empty()) out += " (baseline " + std::to_string(config_.baseline.front()) + ")";
  return out;
}

std::string EarlyStopping::state() const {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "early_stop %.17g %lld", best_, static_cast<long long>(wait_));
  return buf;
}

void EarlyStopping::load_state(const std::string& state) {
  if (state.empty()) return;
  std::istringstream in(state);
  std::string tag, best;
  long long wait = 0;
  in >> tag >> best >> wait;
  if (tag != "early_stop" || in.fail()) throw CheckpointError("early-stopping state '" + state + "' is not readable");
  best_ = std::strtod(best.c_str(), nullptr);
  wait_ = wait;
}

}  // namespace ssd::engine
