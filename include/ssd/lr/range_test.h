#pragma once
// The LR range test (Smith 2015; fastai lr_find; pytorch-lr-finder) as pure parts: the sweep, the smoothed loss
// with its divergence stop, and the three suggestion rules of SPEC-LR.md. engine/lr_finder.h runs it on a model.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ssd/config/config.h"

namespace ssd::lr {

/// LR of each sweep point: exp lr_min (lr_max / lr_min)^(i / (N - 1)), or linear.
std::vector<double> sweep_lrs(const config::LrFinderConfig& config);

struct RangeTestResult {
  std::vector<double> lrs, losses, smoothed;  ///< one entry per step taken
  std::string stop_reason;                    ///< "" when the sweep ran to the end
};

/// Runs the sweep: step(lr) takes one training step at lr and returns its loss. Smoothing
/// avg_i = beta avg_{i-1} + (1 - beta) loss_i, smooth_i = avg_i / (1 - beta^(i+1)); stops when smooth_i exceeds
/// diverge_factor x min(smooth_0..i) or the loss is not finite (that point is not recorded).
RangeTestResult run_range_test(const config::LrFinderConfig& config, const std::function<double(double)>& step);

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

/// CSV (lr, loss, smoothed) and PNG (smoothed and raw loss against LR on a log axis, suggestions marked).
void write_range_test_csv(const RangeTestResult& result, const std::string& path);
void write_range_test_png(const RangeTestResult& result, const Suggestions& suggestions, const std::string& path);

}  // namespace ssd::lr
