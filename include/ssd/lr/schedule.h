#pragma once
// Learning-rate schedules as pure functions of the global iteration t (optimizer steps already taken):
// lr_at(t, base) is the LR of a parameter group whose base LR is `base` (LR0 x group multiplier x batch scaling).
// Pure functions make preview, resume and the closed-form tests exact; the only state is reduce-on-plateau's,
// which state() / load_state() carry through checkpoints. ../../docs/schedules.md has every formula;
// SPEC-LR.md is the contract. make_schedule() turns schedule.* into the composed schedule of a run.
//
// Each schedule lives in its own file, lr/schedules/<name>.cpp, with its parameters (schedule.<name>.*: a struct and
// its keys, config/plugin_params.h) and a function <name>_schedule() that returns its registry entry; the registry
// (src/lr/registry.cpp) lists those functions. A new schedule is that one file plus its line in the registry.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ssd/config/config.h"
#include "ssd/util/registry.h"

namespace ssd::lr {

/// A change of phase (a milestone, the end of the warm-up, a restart) at iteration `start`.
struct Phase {
  int64_t start = 0;
  std::string label;
};

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double lr_at(int64_t t, double base) const = 0;
  /// Momentum (SGD momentum / Adam beta1) at t when the schedule moves it (cyclic, one_cycle), else none.
  virtual std::optional<double> momentum_at(int64_t /*t*/) const { return std::nullopt; }
  /// One line for the start-up log.
  virtual std::string describe() const = 0;
  /// Phase boundaries in this schedule's own clock, for logs and plots.
  virtual std::vector<Phase> phases() const { return {}; }
  /// Iteration from which the value holds (the schedule's end), or -1 when it has none.
  virtual int64_t end() const { return -1; }
  /// Called after each validation with the metrics (val/loss, val/mAP) at iteration t. Returns a line for the
  /// log when the schedule changed (a plateau reduction), else "".
  virtual std::string on_validation(const std::map<std::string, double>& /*metrics*/, int64_t /*t*/) { return ""; }
  /// Saved state (plateau's), "" for pure schedules; load_state() takes what state() wrote.
  virtual std::string state() const { return ""; }
  virtual void load_state(const std::string& /*state*/) {}
};

/// What a factory needs beyond schedule.*: the length T it spans, durations converted to its clock, and how
/// to build a named schedule (for sequential and plateau).
struct BuildContext {
  int64_t total = 0;        ///< T in the schedule's clock (iterations, or epochs with interval: epoch)
  double reference_lr = 0;  ///< LR0 after batch scaling: schedules given absolute LRs scale them per group by base / this
  std::function<int64_t(double)> steps;  ///< a duration in schedule.unit -> the schedule's clock
  std::function<std::unique_ptr<Schedule>(const std::string& name, int64_t total)> build;
};

using ScheduleFactory = std::function<std::unique_ptr<Schedule>(const config::ScheduleConfig&, const BuildContext&)>;

/// A registry entry: the schedule's name (schedule.name), one line of formula, its factory and its own keys.
struct ScheduleEntry {
  std::string name;
  std::string description;
  ScheduleFactory factory;
  std::vector<config::PluginKey> keys;  ///< schedule.<name>.*
};

const util::Registry<ScheduleEntry>& schedule_registry();

/// The run a schedule is built for.
struct RunLength {
  int64_t total_iters = 0;      ///< iterations of the whole run
  int64_t iters_per_epoch = 1;  ///< the loader's length
  double reference_lr = 1e-3;   ///< LR0 after batch scaling
};

/// Warm-up length in iterations (warmup.epochs x iters_per_epoch when set, else warmup.iters).
int64_t warmup_iters(const config::ScheduleConfig& config, int64_t iters_per_epoch);

/// schedule.* as one schedule over the run: the named schedule (per epoch when interval: epoch), in its warm-up.
std::unique_ptr<Schedule> make_schedule(const config::ScheduleConfig& config, const RunLength& run);

/// A number as the describe() lines print it (the shortest round form, as an ostream writes it).
std::string describe_number(double value);

}  // namespace ssd::lr
