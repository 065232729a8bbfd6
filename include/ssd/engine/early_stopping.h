#pragma once
// early_stop.*: Keras EarlyStopping semantics. Improvement (max): current - min_delta > best; (min):
// current + min_delta < best. An improvement sets best and, when it also beats the baseline (if any), wait = 0;
// every other evaluation adds 1 to wait; training stops when wait >= patience. The state goes into checkpoints.
#include <cstdint>
#include <map>
#include <string>

#include "ssd/config/config.h"

namespace ssd::engine {

class EarlyStopping {
 public:
  explicit EarlyStopping(const config::EarlyStopConfig& config);
  bool enabled() const { return config_.patience > 0; }
  bool maximise() const { return maximise_; }
  const std::string& monitor() const { return config_.monitor; }

  /// Feeds one validation. Returns true when training should stop. `improved` (when given) says whether the
  /// monitored value was a new best.
  bool update(const std::map<std::string, double>& metrics, bool* improved = nullptr);
  /// Why it stopped, for the log.
  std::string reason() const;

  double best() const { return best_; }
  int64_t wait() const { return wait_; }
  std::string state() const;
  void load_state(const std::string& state);

 private:
  bool better(double current, double reference) const;
  config::EarlyStopConfig config_;
  bool maximise_;
  double best_;
  int64_t wait_ = 0;
};

}  // namespace ssd::engine
