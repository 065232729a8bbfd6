#include "ssd/lr/schedules/sequential.h"

#include <algorithm>
#include <climits>
#include <sstream>

#include "ssd/util/check.h"
#include "ssd/util/error.h"

namespace ssd::lr {

SequentialSchedule::SequentialSchedule(std::vector<std::unique_ptr<Schedule>> segments, std::vector<int64_t> starts,
                                       std::vector<std::string> names, bool continue_from_previous)
    : segments_(std::move(segments)), starts_(std::move(starts)), names_(std::move(names)), continue_(continue_from_previous) {
  SSD_CHECK(!segments_.empty() && segments_.size() == starts_.size() && starts_.front() == 0, "sequential: bad segments");
}

size_t SequentialSchedule::segment_at(int64_t t) const {
  return static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), t) - starts_.begin()) - 1;
}

double SequentialSchedule::segment_base(size_t k, double base) const {
  // continue: a segment starts where the previous one arrived at its end (its formula at t = its length).
  if (!continue_) return base;
  for (size_t i = 0; i < k; ++i) base = segments_[i]->lr_at(starts_[i + 1] - starts_[i], base);
  return base;
}

double SequentialSchedule::lr_at(int64_t t, double base) const {
  const size_t k = segment_at(t);
  return segments_[k]->lr_at(t - starts_[k], segment_base(k, base));
}

std::optional<double> SequentialSchedule::momentum_at(int64_t t) const {
  const size_t k = segment_at(t);
  return segments_[k]->momentum_at(t - starts_[k]);
}

std::string SequentialSchedule::describe() const {
  std::ostringstream os;
  os << "sequential" << (continue_ ? " (continued)" : "") << ": ";
  for (size_t k = 0; k < segments_.size(); ++k) os << (k ? "; " : "") << "from " << starts_[k] << " " << segments_[k]->describe();
  return os.str();
}

std::vector<Phase> SequentialSchedule::phases() const {
  std::vector<Phase> out;
  for (size_t k = 0; k < segments_.size(); ++k) {
    if (k > 0) out.push_back({starts_[k], "segment " + std::to_string(k + 1) + ": " + names_[k]});
    const int64_t limit = k + 1 < segments_.size() ? starts_[k + 1] : INT64_MAX;
    for (const auto& p : segments_[k]->phases())
      if (starts_[k] + p.start < limit) out.push_back({starts_[k] + p.start, p.label});
  }
  return out;
}

int64_t SequentialSchedule::end() const {
  const int64_t last = segments_.back()->end();
  return last < 0 ? -1 : starts_.back() + last;
}

std::string SequentialSchedule::on_validation(const std::map<std::string, double>& metrics, int64_t t) {
  std::string out;
  for (auto& s : segments_) {
    const auto line = s->on_validation(metrics, t);
    if (!line.empty()) out += (out.empty() ? "" : "; ") + line;
  }
  return out;
}

std::string SequentialSchedule::state() const {
  std::string out;
  for (const auto& s : segments_) out += s->state() + "|";
  return out;
}

void SequentialSchedule::load_state(const std::string& state) {
  size_t from = 0;
  for (auto& s : segments_) {
    const size_t bar = state.find('|', from);
    if (bar == std::string::npos) return;
    s->load_state(state.substr(from, bar - from));
    from = bar + 1;
  }
}

namespace {

std::unique_ptr<Schedule> build_sequential(const SequentialParams& q, const BuildContext& b) {
  if (q.lengths.size() + 1 != q.schedules.size())
    throw ConfigError("schedule.sequential.lengths: " + std::to_string(q.schedules.size()) + " schedules need " +
                      std::to_string(q.schedules.size() - 1) + " lengths (the last segment runs to the end), got " +
                      std::to_string(q.lengths.size()));
  std::vector<std::unique_ptr<Schedule>> segments;
  std::vector<int64_t> starts{0};
  for (double len : q.lengths) starts.push_back(starts.back() + b.steps(len));
  for (size_t k = 0; k < q.schedules.size(); ++k) {
    if (q.schedules[k] == "sequential") throw ConfigError("schedule.sequential.schedules: a sequential cannot contain another");
    const int64_t len = k + 1 < starts.size() ? starts[k + 1] - starts[k] : b.total - starts[k];
    if (len <= 0)
      throw ConfigError("schedule.sequential.lengths: segment " + std::to_string(k + 1) + " (" + q.schedules[k] + ") starts at " +
                        std::to_string(starts[k]) + ", past the end of the run (" + std::to_string(b.total) + ")");
    segments.push_back(b.build(q.schedules[k], len));
  }
  return std::make_unique<SequentialSchedule>(std::move(segments), starts, q.schedules, q.continue_from_previous);
}

}  // namespace

ScheduleEntry sequential_schedule() {
  using config::plugin_key;
  using P = SequentialParams;
  const char* name = "sequential";
  const char* consumer = "lr::SequentialSchedule";
  return {name, "schedules joined at milestones (schedule.sequential.*)",
          [name](const config::ScheduleConfig& c, const BuildContext& b) { return build_sequential(c.params.get<P>(name), b); },
          {plugin_key(name, "schedule.sequential.schedules", &P::schedules, config::nonempty_names(), consumer,
                      "sequential: schedule names in order, each with its schedule.<name>.* parameters."),
           plugin_key(name, "schedule.sequential.lengths", &P::lengths, config::all_positive(), consumer,
                      "sequential: lengths of all segments but the last (schedule.unit); each segment's T is its length."),
           plugin_key(name, "schedule.sequential.continue", &P::continue_from_previous, config::any<bool>(), consumer,
                      "sequential: false = each segment starts from the base LR; true = from where the previous one ended.")}};
}

}  // namespace ssd::lr
