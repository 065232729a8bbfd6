// Schedules built from others: sequential segments, per-epoch evaluation, and the warm-up wrapper.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "ssd/lr/schedules.h"
#include "ssd/util/check.h"

namespace ssd::lr {

// ---- sequential ----

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

// ---- interval: epoch ----

EpochIntervalSchedule::EpochIntervalSchedule(std::unique_ptr<Schedule> inner, int64_t iters_per_epoch)
    : inner_(std::move(inner)), per_epoch_(std::max<int64_t>(iters_per_epoch, 1)) {}

double EpochIntervalSchedule::lr_at(int64_t t, double base) const { return inner_->lr_at(t / per_epoch_, base); }

std::optional<double> EpochIntervalSchedule::momentum_at(int64_t t) const { return inner_->momentum_at(t / per_epoch_); }

std::string EpochIntervalSchedule::describe() const {
  return inner_->describe() + " (durations in epochs, evaluated once per epoch of " + std::to_string(per_epoch_) + " iterations)";
}

std::vector<Phase> EpochIntervalSchedule::phases() const {
  auto out = inner_->phases();
  for (auto& p : out) p.start *= per_epoch_;
  return out;
}

int64_t EpochIntervalSchedule::end() const {
  const int64_t e = inner_->end();
  return e < 0 ? -1 : e * per_epoch_;
}

std::string EpochIntervalSchedule::on_validation(const std::map<std::string, double>& metrics, int64_t t) {
  return inner_->on_validation(metrics, t / per_epoch_);
}

// ---- warm-up ----

WarmupSchedule::WarmupSchedule(std::unique_ptr<Schedule> inner, std::string method, int64_t iters, double start_factor, bool prefix)
    : inner_(std::move(inner)), method_(std::move(method)), iters_(iters), start_factor_(start_factor), prefix_(prefix) {}

double WarmupSchedule::factor_at(int64_t t) const {
  if (t >= iters_) return 1.0;
  const double progress = static_cast<double>(t) / static_cast<double>(iters_);
  if (method_ == "constant") return start_factor_;
  if (method_ == "exponential") return std::pow(start_factor_, 1.0 - progress);
  return start_factor_ + (1.0 - start_factor_) * progress;
}

double WarmupSchedule::main_at(int64_t t, double base) const {
  if (!prefix_) return inner_->lr_at(t, base);
  return inner_->lr_at(std::max<int64_t>(t - iters_, 0), base);
}

double WarmupSchedule::lr_at(int64_t t, double base) const {
  if (prefix_) return t < iters_ ? inner_->lr_at(0, base) * factor_at(t) : inner_->lr_at(t - iters_, base);
  return inner_->lr_at(t, base) * factor_at(t);
}

std::optional<double> WarmupSchedule::momentum_at(int64_t t) const {
  return inner_->momentum_at(prefix_ ? std::max<int64_t>(t - iters_, 0) : t);
}

std::string WarmupSchedule::describe() const {
  std::ostringstream os;
  os << method_ << " warm-up from x" << start_factor_ << " over " << iters_ << " iterations" << (prefix_ ? " (prefix)" : "")
     << ", then " << inner_->describe();
  return os.str();
}

std::vector<Phase> WarmupSchedule::phases() const {
  std::vector<Phase> out{{iters_, "warm-up over"}};
  for (auto p : inner_->phases()) {
    if (prefix_) p.start += iters_;
    if (p.start > 0) out.push_back(p);
  }
  std::stable_sort(out.begin(), out.end(), [](const Phase& a, const Phase& b) { return a.start < b.start; });
  return out;
}

int64_t WarmupSchedule::end() const {
  const int64_t e = inner_->end();
  return e < 0 ? -1 : (prefix_ ? e + iters_ : e);
}

std::string WarmupSchedule::on_validation(const std::map<std::string, double>& metrics, int64_t t) {
  return inner_->on_validation(metrics, prefix_ ? std::max<int64_t>(t - iters_, 0) : t);
}

}  // namespace ssd::lr
