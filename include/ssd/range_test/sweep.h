#pragma once
// The LR range test's pure parts (Smith 2015; fastai lr_find; pytorch-lr-finder): the sweep of LRs, the smoothed
// loss with its divergence stop, the three suggestion rules of SPEC-LR.md, and its CSV and plot. runner.h runs it
// on a model, through the training loop.
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ssd/config/config.h"

namespace ssd::range_test {

/// LR of each sweep point: exp lr_min (lr_max / lr_min)^(i / (N - 1)), or linear.
std::vector<double> sweep_lrs(const config::RangeTestConfig& config);

struct RangeTestResult {
  std::vector<double> lrs, losses, smoothed;  ///< one entry per step taken
  /// The localisation and classification terms of each step's loss, raw and smoothed alike (they react to the LR
  /// differently: the box regression usually diverges first); NaN where the step gave only a total.
  std::vector<double> loc, conf, loc_smoothed, conf_smoothed;
  std::string stop_reason;                    ///< "" when the sweep ran to the end
};

/// The sweep, one step at a time: the LR of the next step, and the loss it gave. Smoothing
/// avg_i = beta avg_{i-1} + (1 - beta) loss_i, smooth_i = avg_i / (1 - beta^(i+1)); it ends after the last LR, when
/// smooth_i exceeds diverge_factor x min(smooth_0..i), or at a loss that is not finite (that point is not recorded).
/// The loss's two terms are smoothed the same way; only the total decides.
class Sweep {
 public:
  explicit Sweep(const config::RangeTestConfig& config);
  bool done() const;
  double next_lr() const;  ///< only while !done()
  void record(double loss, double loc = NAN, double conf = NAN);
  const RangeTestResult& result() const { return result_; }

 private:
  config::RangeTestConfig config_;
  std::vector<double> lrs_;
  RangeTestResult result_;
  double avg_ = 0, avg_loc_ = 0, avg_conf_ = 0, best_ = INFINITY;
  bool ended_ = false;
};

/// The whole sweep with step(lr) taking one training step at lr and returning its loss (tests; the training loop
/// drives a Sweep through range_test/sweep_hook.h).
RangeTestResult run_range_test(const config::RangeTestConfig& config, const std::function<double(double)>& step);

struct Suggestion {
  std::string rule;  ///< steepest, minimum/10, valley
  double lr = 0;
  int64_t index = -1;  ///< sweep point it came from
};

struct Suggestions {
  std::vector<Suggestion> all;  ///< the rules that found something, in the order steepest, minimum/10, valley
  Suggestion recommended;
  std::string reason;
};

/// steepest: most negative slope of smooth against log10(lr) (central differences), ignoring a burn-in of
/// max(10, 10% of the points) and the last 5; minimum/10: LR of the lowest smoothed loss / 10; valley: fastai's,
/// along the longest strictly decreasing subsequence. Throws std::runtime_error when the sweep is too short.
Suggestions suggest_lrs(const RangeTestResult& result);

/// CSV (lr, loss, smoothed, then loc, conf and their smoothed curves when the steps gave them) and PNG (smoothed and
/// raw loss against LR on a log axis, suggestions marked; below, the smoothed loc and conf terms).
void write_range_test_csv(const RangeTestResult& result, const std::string& path);
void write_range_test_png(const RangeTestResult& result, const Suggestions& suggestions, const std::string& path);

}  // namespace ssd::range_test
