#include "ssd/eval/operating_point.h"

#include <algorithm>

namespace ssd::eval {

namespace {

double f1_of(double precision, double recall) {
  if (std::isnan(precision) || std::isnan(recall)) return std::nan("");
  return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
}

void finish(OperatingPoint& p, double iou_sum) {
  const int64_t kept = p.true_positives + p.false_positives, objects = p.true_positives + p.missed;
  p.precision = kept > 0 ? static_cast<double>(p.true_positives) / static_cast<double>(kept) : std::nan("");
  p.recall = objects > 0 ? static_cast<double>(p.true_positives) / static_cast<double>(objects) : std::nan("");
  p.f1 = f1_of(p.precision, p.recall);
  p.mean_iou = p.true_positives > 0 ? iou_sum / static_cast<double>(p.true_positives) : std::nan("");
}

// The curve's entries that ssd-detect --score-thresh `threshold` keeps: scores above it, compared in float as the
// post-processing compares them (scores descend, so they are the curve's first ones).
size_t kept_at(const PrCurve& c, double threshold) {
  const auto t = static_cast<float>(threshold);
  return static_cast<size_t>(
      std::partition_point(c.score.begin(), c.score.end(), [t](double s) { return static_cast<float>(s) > t; }) - c.score.begin());
}

}  // namespace

OperatingPoint operating_point(const PrCurve& c, int64_t num_gt, double threshold) {
  OperatingPoint p;
  const size_t kept = kept_at(c, threshold);
  p.true_positives = kept ? c.true_positives[kept - 1] : 0;
  p.false_positives = static_cast<int64_t>(kept) - p.true_positives;
  p.missed = num_gt - p.true_positives;
  finish(p, kept ? c.iou_sum[kept - 1] : 0.0);
  return p;
}

double best_mean_f1_threshold(const VocResult& voc) {
  double best = -1, best_threshold = 0;
  for (int i = 0; i < 1000; ++i) {
    const double threshold = i / 1000.0;
    double sum = 0;
    int classes = 0;
    for (size_t c = 0; c < voc.curves.size(); ++c) {
      if (voc.num_gt[c] <= 0) continue;
      const double f1 = operating_point(voc.curves[c], voc.num_gt[c], threshold).f1;
      sum += std::isnan(f1) ? 0.0 : f1, ++classes;
    }
    const double mean = classes ? sum / classes : 0.0;
    if (mean >= best) best = mean, best_threshold = threshold;
  }
  return best_threshold;
}

OperatingPoints operating_points(const VocResult& voc, std::optional<double> threshold) {
  OperatingPoints out;
  out.best_mean_f1 = !threshold;
  out.threshold = threshold ? *threshold : best_mean_f1_threshold(voc);
  double iou_sum = 0;
  for (size_t c = 0; c < voc.curves.size(); ++c) {
    const auto p = operating_point(voc.curves[c], voc.num_gt[c], out.threshold);
    out.per_class.push_back(p);
    out.overall.true_positives += p.true_positives;
    out.overall.false_positives += p.false_positives;
    out.overall.missed += p.missed;
    if (p.true_positives > 0) iou_sum += p.mean_iou * static_cast<double>(p.true_positives);
  }
  finish(out.overall, iou_sum);
  return out;
}

}  // namespace ssd::eval
