// The schedule registry and schedule.* -> the composed schedule of a run. Durations are converted here, once:
// schedule.unit epochs x iterations per epoch (interval: iteration), or kept in epochs (interval: epoch).
#include <cmath>

#include "ssd/lr/schedule.h"
#include "ssd/lr/schedules.h"
#include "ssd/util/error.h"

namespace ssd::lr {

namespace {

using Ptr = std::unique_ptr<Schedule>;

int64_t rounded(double v) { return static_cast<int64_t>(std::llround(v)); }

}  // namespace

const util::Registry<ScheduleFactory>& schedule_registry() {
  static const util::Registry<ScheduleFactory> registry(
      "schedule", "schedule.name",
      {
          {"constant", "lr = base",
           [](const config::ScheduleConfig&, const BuildContext&) -> Ptr { return std::make_unique<ConstantSchedule>(); }},
          {"step", "lr = base x gamma^floor(t / step_size)",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             return std::make_unique<StepSchedule>(b.steps(c.step.step_size), c.step.gamma, b.total);
           }},
          {"multistep", "lr = base x gamma^(milestones passed); milestones absolute or fractions of the run (default)",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             std::vector<int64_t> m;
             if (!c.multistep.milestones.empty())
               for (double v : c.multistep.milestones) m.push_back(b.steps(v));
             else
               for (double f : c.multistep.fractions) m.push_back(rounded(f * static_cast<double>(b.total)));
             return std::make_unique<MultiStepSchedule>(m, c.multistep.gamma);
           }},
          {"exponential", "lr = base x gamma^t",
           [](const config::ScheduleConfig& c, const BuildContext&) -> Ptr { return std::make_unique<ExponentialSchedule>(c.exponential.gamma); }},
          {"linear", "lr = base x (start_factor + (end_factor - start_factor) min(t, T) / T)",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             return std::make_unique<LinearSchedule>(c.linear.start_factor, c.linear.end_factor, b.total);
           }},
          {"polynomial", "lr = (base - end_lr)(1 - min(t, T) / T)^power + end_lr",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             return std::make_unique<PolynomialSchedule>(b.total, c.polynomial.power, c.polynomial.end_lr);
           }},
          {"cosine", "lr = eta_min + (base - eta_min)(1 + cos(pi min(t, T) / T)) / 2",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             return std::make_unique<CosineSchedule>(b.total, c.cosine.eta_min, c.cosine.periodic);
           }},
          {"cosine_restarts", "SGDR: cosine cycles T_0, T_0 T_mult, ...; peak x decay per cycle",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             const auto& r = c.cosine_restarts;
             return std::make_unique<CosineRestartsSchedule>(b.steps(r.T_0), r.T_mult, r.eta_min, r.decay, b.total);
           }},
          {"cyclic", "Smith's cyclical LR between base_lr and max_lr (triangular, triangular2, exp_range)",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             const auto& y = c.cyclic;
             if (y.max_lr < y.base_lr) throw ConfigError("schedule.cyclic.max_lr: " + std::to_string(y.max_lr) + " is below base_lr " + std::to_string(y.base_lr));
             const int64_t up = b.steps(y.step_size_up), down = y.step_size_down > 0 ? b.steps(y.step_size_down) : up;
             return std::make_unique<CyclicSchedule>(y, up, down, b.reference_lr, b.total);
           }},
          {"one_cycle", "Smith's one-cycle: max_lr / div_factor -> max_lr -> tiny, momentum opposite",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             return std::make_unique<OneCycleSchedule>(c.one_cycle, b.total, b.reference_lr);
           }},
          {"sequential", "schedules joined at milestones (schedule.sequential.*)",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             const auto& q = c.sequential;
             if (q.lengths.size() + 1 != q.schedules.size())
               throw ConfigError("schedule.sequential.lengths: " + std::to_string(q.schedules.size()) + " schedules need " +
                                 std::to_string(q.schedules.size() - 1) + " lengths (the last segment runs to the end), got " +
                                 std::to_string(q.lengths.size()));
             std::vector<Ptr> segments;
             std::vector<int64_t> starts{0};
             for (double len : q.lengths) starts.push_back(starts.back() + b.steps(len));
             for (size_t k = 0; k < q.schedules.size(); ++k) {
               if (q.schedules[k] == "sequential") throw ConfigError("schedule.sequential.schedules: a sequential cannot contain another");
               const int64_t len = k + 1 < starts.size() ? starts[k + 1] - starts[k] : b.total - starts[k];
               if (len <= 0)
                 throw ConfigError("schedule.sequential.lengths: segment " + std::to_string(k + 1) + " (" + q.schedules[k] +
                                   ") starts at " + std::to_string(starts[k]) + ", past the end of the run (" + std::to_string(b.total) + ")");
               segments.push_back(b.build(q.schedules[k], len));
             }
             return std::make_unique<SequentialSchedule>(std::move(segments), starts, q.schedules, q.continue_from_previous);
           }},
          {"plateau", "reduce-on-plateau: x factor when val/loss or val/mAP stalls (over schedule.plateau.over)",
           [](const config::ScheduleConfig& c, const BuildContext& b) -> Ptr {
             if (c.plateau.over == "plateau") throw ConfigError("schedule.plateau.over: a plateau cannot wrap another plateau");
             return std::make_unique<PlateauSchedule>(b.build(c.plateau.over, b.total), c.plateau, b.reference_lr);
           }},
      });
  return registry;
}

int64_t warmup_iters(const config::ScheduleConfig& c, int64_t iters_per_epoch) {
  if (c.warmup.epochs > 0) return rounded(c.warmup.epochs * static_cast<double>(iters_per_epoch));
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
    if (per_epoch_clock || c.unit == "iterations") return std::max<int64_t>(rounded(d), 1);
    return std::max<int64_t>(rounded(d * static_cast<double>(per_epoch)), 1);
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
