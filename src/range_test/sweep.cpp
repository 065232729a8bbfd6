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

void Sweep::record(double loss, double loc, double conf) {
  const size_t i = result_.lrs.size();
  const double lr = lrs_.at(i);
  char buf[160];
  if (!std::isfinite(loss)) {
    std::snprintf(buf, sizeof(buf), "loss not finite at lr %.3g (step %zu)", lr, i);
    result_.stop_reason = buf;
    ended_ = true;
    return;  // that point is not recorded
  }
  const double bias = 1.0 - std::pow(config_.beta, static_cast<double>(i + 1));
  const auto smoothed = [&](double& avg, double value) {
    avg = config_.beta * avg + (1.0 - config_.beta) * value;
    return avg / bias;
  };
  const double smooth = smoothed(avg_, loss);
  result_.lrs.push_back(lr), result_.losses.push_back(loss), result_.smoothed.push_back(smooth);
  result_.loc.push_back(loc), result_.conf.push_back(conf);
  result_.loc_smoothed.push_back(smoothed(avg_loc_, loc)), result_.conf_smoothed.push_back(smoothed(avg_conf_, conf));
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
  // minimum/10 is the fallback: against the best LR0 of a grid trained at equal epochs (bench/lr_rules.py,
  // docs/benchmarks/lr_rules.md) it came closest of the three by the median; valley, fastai's default, lay 3x to 13x
  // below the grid's best.
  char buf[320];
  s.recommended = pick("minimum/10");
  if (len > 0)
    std::snprintf(buf, sizeof(buf),
                  hi / lo > 3.0 ? "the rules disagree by %.1fx (> 3x): minimum/10 came closest to the best LR0 of a grid on the "
                                  "benchmark sets; --race settles it on this data"
                                : "the rules agree within %.1fx; minimum/10 came closest to the best LR0 of a grid on the benchmark sets",
                  hi / lo);
  else
    std::snprintf(buf, sizeof(buf), "the loss never decreased along the sweep: only minimum/10 applies; check the data and range_test.lr_min");
  s.reason = buf;
  return s;
}

namespace {

bool has_terms(const RangeTestResult& r) {
  return std::any_of(r.loc.begin(), r.loc.end(), [](double x) { return std::isfinite(x); });
}

}  // namespace

void write_range_test_csv(const RangeTestResult& r, const std::string& path) {
  const bool terms = has_terms(r);
  std::string text = terms ? "lr,loss,smoothed,loc,conf,loc_smoothed,conf_smoothed\n" : "lr,loss,smoothed\n";
  char line[256];
  for (size_t i = 0; i < r.lrs.size(); ++i) {
    if (terms)
      std::snprintf(line, sizeof(line), "%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", r.lrs[i], r.losses[i], r.smoothed[i], r.loc[i], r.conf[i],
                    r.loc_smoothed[i], r.conf_smoothed[i]);
    else std::snprintf(line, sizeof(line), "%.6g,%.6g,%.6g\n", r.lrs[i], r.losses[i], r.smoothed[i]);
    text += line;
  }
  util::write_text_file(path, text);
}

namespace {

// The divergence at the end would flatten everything else: y from below the minimum to above the start.
void limit_to_descent(util::Panel& p, const std::vector<double>& smoothed, const std::vector<double>& raw) {
  const auto lowest_at = std::min_element(smoothed.begin(), smoothed.end()) - smoothed.begin();
  const double lowest = std::min(smoothed[lowest_at], *std::min_element(raw.begin(), raw.begin() + lowest_at + 1));
  const double start = *std::max_element(smoothed.begin(), smoothed.begin() + std::min<size_t>(smoothed.size(), 10));
  p.y_min = lowest - 0.1 * (start - lowest);
  p.y_max = start + 0.5 * (start - lowest);
  if (!(p.y_max > p.y_min)) p.y_min = p.y_max = NAN;
}

}  // namespace

void write_range_test_png(const RangeTestResult& r, const Suggestions& s, const std::string& path) {
  util::Panel p;
  p.title = "LR range test: loss against LR (recommended " + s.recommended.rule + ")";
  p.x_label = "learning rate (log scale)";
  p.y_label = "loss";
  p.log_x = true;
  p.series = {{"smoothed loss", r.lrs, r.smoothed}, {"loss", r.lrs, r.losses}};
  limit_to_descent(p, r.smoothed, r.losses);
  for (const auto& x : s.all) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s%s %.2g", x.rule.c_str(), x.rule == s.recommended.rule ? " *" : "", x.lr);
    p.markers_x.push_back(x.lr);
    p.marker_labels.push_back(buf);
  }
  std::vector<util::Panel> panels{p};
  if (has_terms(r)) {
    util::Panel terms;
    terms.title = "the loss's terms, smoothed: localisation (box regression) and classification";
    terms.x_label = p.x_label;
    terms.y_label = "loss";
    terms.log_x = true;
    terms.series = {{"loc (smoothed)", r.lrs, r.loc_smoothed}, {"conf (smoothed)", r.lrs, r.conf_smoothed}};
    terms.markers_x = p.markers_x;
    // Both terms on one axis: from below the lower minimum to above the higher start.
    util::Panel loc = terms, conf = terms;
    limit_to_descent(loc, r.loc_smoothed, r.loc);
    limit_to_descent(conf, r.conf_smoothed, r.conf);
    terms.y_min = std::min(loc.y_min, conf.y_min), terms.y_max = std::max(loc.y_max, conf.y_max);
    if (!(terms.y_max > terms.y_min)) terms.y_min = terms.y_max = NAN;
    panels.push_back(terms);
  }
  util::save_chart(path, panels, 900, panels.size() == 1 ? 420 : 340);
}

}  // namespace ssd::range_test
