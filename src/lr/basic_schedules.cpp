// constant, step, multistep, exponential, linear, polynomial: the closed forms of SPEC-LR.md.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "ssd/lr/schedules.h"

namespace ssd::lr {

namespace {
std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace

StepSchedule::StepSchedule(int64_t step_size, double gamma, int64_t total)
    : step_size_(std::max<int64_t>(step_size, 1)), total_(total), gamma_(gamma) {}

double StepSchedule::lr_at(int64_t t, double base) const {
  return base * std::pow(gamma_, static_cast<double>(t / step_size_));
}

std::string StepSchedule::describe() const { return "step x" + number(gamma_) + " every " + std::to_string(step_size_); }

std::vector<Phase> StepSchedule::phases() const {
  std::vector<Phase> out;
  for (int64_t m = step_size_, k = 1; m < total_ && out.size() < 1000; m += step_size_, ++k)
    out.push_back({m, "step: LR x" + number(std::pow(gamma_, static_cast<double>(k))) + " of base"});
  return out;
}

MultiStepSchedule::MultiStepSchedule(std::vector<int64_t> milestones, double gamma)
    : milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
}

double MultiStepSchedule::lr_at(int64_t t, double base) const {
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), t) - milestones_.begin();
  return base * std::pow(gamma_, static_cast<double>(passed));
}

std::string MultiStepSchedule::describe() const {
  std::ostringstream os;
  os << "multistep x" << gamma_ << " at [";
  for (size_t i = 0; i < milestones_.size(); ++i) os << (i ? ", " : "") << milestones_[i];
  os << "]";
  return os.str();
}

std::vector<Phase> MultiStepSchedule::phases() const {
  std::vector<Phase> out;
  for (size_t i = 0; i < milestones_.size(); ++i)
    out.push_back({milestones_[i], "milestone: LR x" + number(std::pow(gamma_, static_cast<double>(i + 1))) + " of base"});
  return out;
}

double ExponentialSchedule::lr_at(int64_t t, double base) const { return base * std::pow(gamma_, static_cast<double>(t)); }

std::string ExponentialSchedule::describe() const { return "exponential x" + number(gamma_) + " per step"; }

LinearSchedule::LinearSchedule(double start_factor, double end_factor, int64_t total)
    : start_(start_factor), end_(end_factor), total_(std::max<int64_t>(total, 1)) {}

double LinearSchedule::lr_at(int64_t t, double base) const {
  const double tc = static_cast<double>(std::min(t, total_));
  return base * (start_ + (end_ - start_) * tc / static_cast<double>(total_));
}

std::string LinearSchedule::describe() const {
  return "linear x" + number(start_) + " -> x" + number(end_) + " over " + std::to_string(total_);
}

PolynomialSchedule::PolynomialSchedule(int64_t total, double power, double end_lr)
    : total_(std::max<int64_t>(total, 1)), power_(power), end_lr_(end_lr) {}

double PolynomialSchedule::lr_at(int64_t t, double base) const {
  const double tc = static_cast<double>(std::min(t, total_));
  return (base - end_lr_) * std::pow(1.0 - tc / static_cast<double>(total_), power_) + end_lr_;
}

std::string PolynomialSchedule::describe() const {
  return "polynomial power " + number(power_) + " to " + number(end_lr_) + " over " + std::to_string(total_);
}

}  // namespace ssd::lr
