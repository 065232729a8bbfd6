#include "ssd/lr/warmup.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ssd::lr {

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
