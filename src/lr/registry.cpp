// The schedule registry, and schedule.* -> the composed schedule of a run. Durations are converted here, once:
// schedule.unit epochs x iterations per epoch (interval: iteration), or kept in epochs (interval: epoch).
#include <cmath>
#include <sstream>

#include "ssd/lr/epoch_interval.h"
#include "ssd/lr/schedule.h"
#include "ssd/lr/warmup.h"

namespace ssd::lr {

// Each in lr/schedules/<name>.cpp. A new schedule: its file, its declaration here and its name in the list below.
ScheduleEntry constant_schedule();
ScheduleEntry step_schedule();
ScheduleEntry multistep_schedule();
ScheduleEntry exponential_schedule();
ScheduleEntry linear_schedule();
ScheduleEntry polynomial_schedule();
ScheduleEntry cosine_schedule();
ScheduleEntry cosine_restarts_schedule();
ScheduleEntry cyclic_schedule();
ScheduleEntry one_cycle_schedule();
ScheduleEntry sequential_schedule();
ScheduleEntry plateau_schedule();

const util::Registry<ScheduleEntry>& schedule_registry() {
  // The order is --list-schedules' and the order of the schedules' keys in docs/config.md and --print-config.
  static const util::Registry<ScheduleEntry> registry(
      "schedule", "schedule.name",
      {constant_schedule(), step_schedule(), multistep_schedule(), exponential_schedule(), linear_schedule(), polynomial_schedule(),
       cosine_schedule(), cosine_restarts_schedule(), cyclic_schedule(), one_cycle_schedule(), sequential_schedule(), plateau_schedule()});
  return registry;
}

std::string describe_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

int64_t warmup_iters(const config::ScheduleConfig& c, int64_t iters_per_epoch) {
  if (c.warmup.epochs > 0) return static_cast<int64_t>(std::llround(c.warmup.epochs * static_cast<double>(iters_per_epoch)));
  return c.warmup.iters;
}

std::unique_ptr<Schedule> make_schedule(const config::ScheduleConfig& c, const RunLength& run) {
  const int64_t per_epoch = std::max<int64_t>(run.iters_per_epoch, 1);
  const bool per_epoch_clock = c.interval == "epoch";
  const int64_t warmup = warmup_iters(c, per_epoch);
  // A prefix warm-up comes before the main schedule, which then spans the rest of the run.
  const int64_t main_iters = std::max<int64_t>(run.total_iters - (c.warmup.prefix ? warmup : 0), 1);

  BuildContext b;
  b.reference_lr = run.reference_lr;
  b.steps = [&c, per_epoch, per_epoch_clock](double d) -> int64_t {
    if (per_epoch_clock || c.unit == "iterations") return std::max<int64_t>(std::llround(d), 1);
    return std::max<int64_t>(std::llround(d * static_cast<double>(per_epoch)), 1);
  };
  const int64_t clock_total = per_epoch_clock ? std::max<int64_t>(main_iters / per_epoch, 1) : main_iters;
  b.total = c.total > 0 ? b.steps(c.total) : clock_total;
  b.build = [&c, &b](const std::string& name, int64_t total) -> std::unique_ptr<Schedule> {
    BuildContext inner = b;
    inner.total = total;
    return schedule_registry().get(name).factory(c, inner);
  };

  auto schedule = schedule_registry().get(c.name).factory(c, b);
  if (per_epoch_clock) schedule = std::make_unique<EpochIntervalSchedule>(std::move(schedule), per_epoch);
  if (warmup > 0)
    schedule = std::make_unique<WarmupSchedule>(std::move(schedule), c.warmup.method, warmup, c.warmup.start_factor, c.warmup.prefix);
  return schedule;
}

}  // namespace ssd::lr
