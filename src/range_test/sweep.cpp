#include "ssd/range_test/sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "ssd/util/plot.h"
#include "ssd/util/text_file.h"

namespace ssd::range_test {

std::vector<double> sweep_lrs(const config::RangeTestConfig& c) {
  std::vector<double> out;
  const double n = static_cast<double>(c.iters - 1);
  for (int64_t i = 0; i < c.iters; ++i) {
    const double f = static_cast<double>(i) / n;
    out.push_back(c.sweep == "linear" ? c.lr_min + (c.lr_max - c.lr_min) * f : c.lr_min * std::pow(c.lr_max / c.lr_min, f));
  }
  return out;
}

Sweep::Sweep(const config::RangeTestConfig& config) : config_(config), lrs_(sweep_lrs(config)) {}

bool Sweep::done() const { return ended_ || result_.lrs.size() >= lrs_.size(); }

double Sweep::next_lr() const { return lrs_.at(result_.lrs.size()); }

void Sweep::record(double loss) {
  const size_t i = result_.lrs.size();
  const double lr = lrs_.at(i);
  char buf[160];
  if (!std::isfinite(loss)) {
    std::snprintf(buf, sizeof(buf), "loss not finite at lr %.3g (step %zu)", lr, i);
    result_.stop_reason = buf;
    ended_ = true;
    return;  // that point is not recorded
  }
  avg_ = config_.beta * avg_ + (1.0 - config_.beta) * loss;
  const double smooth = avg_ / (1.0 - std::pow(config_.beta, static_cast<double>(i + 1)));
  result_.lrs.push_back(lr), result_.losses.push_back(loss), result_.smoothed.push_back(smooth);
  best_ = std::min(best_, smooth);
  if (smooth > config_.diverge_factor * best_) {
    std::snprintf(buf, sizeof(buf), "diverged at lr %.3g (step %zu): smoothed loss %.4g > %g x its minimum %.4g", lr, i, smooth,
                  config_.diverge_factor, best_);
    result_.stop_reason = buf;
    ended_ = true;
  }
}

RangeTestResult run_range_test(const config::RangeTestConfig& c, const std::function<double(double)>& step) {
  Sweep sweep(c);
  while (!sweep.done()) sweep.record(step(sweep.next_lr()));
  return sweep.result();
}

Suggestions suggest_lrs(const RangeTestResult& r) {
  const auto n = static_cast<int64_t>(r.smoothed.size());
  if (n < 3) throw std::runtime_error("the range test stopped after " + std::to_string(n) + " steps: too few to suggest an LR (" +
                                      r.stop_reason + "); lower range_test.lr_min or raise range_test.diverge_factor");
  Suggestions s;
  // steepest descent of the smoothed loss against log10(lr), past the burn-in.
  const int64_t skip_start = std::max<int64_t>(10, n / 10), skip_end = 5;
  if (n > skip_start + skip_end + 2) {
    int64_t best = -1;
    double best_slope = 0;
    for (int64_t i = skip_start; i < n - skip_end; ++i) {
      const int64_t a = std::max<int64_t>(i - 1, 0), b = std::min<int64_t>(i + 1, n - 1);
      const double dx = std::log10(r.lrs[b]) - std::log10(r.lrs[a]);
      const double slope = dx != 0 ? (r.smoothed[b] - r.smoothed[a]) / dx : 0;
      if (best < 0 || slope < best_slope) best = i, best_slope = slope;
    }
    if (best >= 0 && best_slope < 0) s.all.push_back({"steepest", r.lrs[best], best});
  }
  // minimum / 10 (fastai's "minimum").
  const auto lowest = std::min_element(r.smoothed.begin(), r.smoothed.end()) - r.smoothed.begin();
  s.all.push_back({"minimum/10", r.lrs[lowest] / 10.0, lowest});
  // valley (fastai >= 2.4): longest strictly decreasing subsequence by index; a point a third plus a sixth along it.
  std::vector<int64_t> lds(n, 1);
  int64_t end = 0, start = 0;
  for (int64_t i = 1; i < n; ++i) {
    for (int64_t j = 0; j < i; ++j)
      if (r.smoothed[i] < r.smoothed[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
    if (lds[end] < lds[i]) end = i, start = end - lds[end];
  }
  const int64_t len = end - start;
  const int64_t valley = std::clamp<int64_t>(start + len / 3 + len / 6, 0, n - 1);
  if (len > 0) s.all.push_back({"valley", r.lrs[valley], valley});

  double lo = INFINITY, hi = 0;
  for (const auto& x : s.all) lo = std::min(lo, x.lr), hi = std::max(hi, x.lr);
  const auto pick = [&](const std::string& rule) {
    for (const auto& x : s.all)
      if (x.rule == rule) return x;
    return s.all.front();
  };
  char buf[256];
  if (len > 0) {
    s.recommended = pick("valley");
    std::snprintf(buf, sizeof(buf),
                  hi / lo > 3.0 ? "the rules disagree by %.1fx (> 3x): valley is the least sensitive to noise in the loss curve"
                                : "the rules agree within %.1fx; valley (fastai's default) lies inside the steepest part of the descent",
                  hi / lo);
  } else {
    s.recommended = pick("minimum/10");
    std::snprintf(buf, sizeof(buf), "the loss never decreased along the sweep: only minimum/10 applies; check the data and range_test.lr_min");
  }
  s.reason = buf;
  return s;
}

void write_range_test_csv(const RangeTestResult& r, const std::string& path) {
  std::string text = "lr,loss,smoothed\n";
  char line[128];
  for (size_t i = 0; i < r.lrs.size(); ++i) {
    std::snprintf(line, sizeof(line), "%.6g,%.6g,%.6g\n", r.lrs[i], r.losses[i], r.smoothed[i]);
    text += line;
  }
  util::write_text_file(path, text);
}

void write_range_test_png(const RangeTestResult& r, const Suggestions& s, const std::string& path) {
  util::Panel p;
  p.title = "LR range test: loss against LR (recommended " + s.recommended.rule + ")";
  p.x_label = "learning rate (log scale)";
  p.log_x = true;
  p.series = {{"smoothed loss", r.lrs, r.smoothed}, {"loss", r.lrs, r.losses}};
  // The divergence at the end would flatten everything else: show from below the minimum to above the start.
  const auto lowest_at = std::min_element(r.smoothed.begin(), r.smoothed.end()) - r.smoothed.begin();
  const double lowest = std::min(r.smoothed[lowest_at], *std::min_element(r.losses.begin(), r.losses.begin() + lowest_at + 1));
  const double start = *std::max_element(r.smoothed.begin(), r.smoothed.begin() + std::min<size_t>(r.smoothed.size(), 10));
  p.y_min = lowest - 0.1 * (start - lowest);
  p.y_max = start + 0.5 * (start - lowest);
  if (!(p.y_max > p.y_min)) p.y_min = p.y_max = NAN;
  for (const auto& x : s.all) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s%s %.2g", x.rule.c_str(), x.rule == s.recommended.rule ? " *" : "", x.lr);
    p.markers_x.push_back(x.lr);
    p.marker_labels.push_back(buf);
  }
  util::save_chart(path, {p}, 900, 420);
}

}  // namespace ssd::range_test
