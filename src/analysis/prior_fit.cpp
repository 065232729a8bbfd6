#include "ssd/analysis/prior_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace ssd::analysis {

double Shape::side() const { return std::sqrt(w * h); }

double centred_iou(const Shape& a, const Shape& b) {
  const double inter = std::min(a.w, b.w) * std::min(a.h, b.h);
  const double uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::vector<Shape> kmeans_shapes(const std::vector<Shape>& shapes, size_t k, uint64_t seed, int iterations) {
  std::vector<Shape> centroids;
  if (shapes.empty() || k == 0) return centroids;
  std::mt19937_64 rng(seed);
  // k-means++: each next centroid drawn with probability proportional to its squared distance from the nearest one.
  centroids.push_back(shapes[std::uniform_int_distribution<size_t>(0, shapes.size() - 1)(rng)]);
  std::vector<double> nearest(shapes.size(), std::numeric_limits<double>::max());
  while (centroids.size() < k) {
    double total = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
      const double d = 1 - centred_iou(shapes[i], centroids.back());
      nearest[i] = std::min(nearest[i], d * d);
      total += nearest[i];
    }
    if (total <= 0) break;  // every shape already is a centroid
    double pick = std::uniform_real_distribution<double>(0, total)(rng);
    size_t i = 0;
    for (; i + 1 < shapes.size() && pick > nearest[i]; ++i) pick -= nearest[i];
    centroids.push_back(shapes[i]);
  }
  std::vector<size_t> cluster(shapes.size(), 0);
  for (int it = 0; it < iterations; ++it) {
    bool moved = false;
    for (size_t i = 0; i < shapes.size(); ++i) {
      size_t best = 0;
      double best_iou = -1;
      for (size_t c = 0; c < centroids.size(); ++c) {
        const double iou = centred_iou(shapes[i], centroids[c]);
        if (iou > best_iou) best_iou = iou, best = c;
      }
      moved = moved || (it == 0 || cluster[i] != best);
      cluster[i] = best;
    }
    std::vector<Shape> sum(centroids.size());
    std::vector<size_t> count(centroids.size(), 0);
    for (size_t i = 0; i < shapes.size(); ++i) sum[cluster[i]].w += shapes[i].w, sum[cluster[i]].h += shapes[i].h, ++count[cluster[i]];
    for (size_t c = 0; c < centroids.size(); ++c)
      if (count[c] > 0) centroids[c] = {sum[c].w / static_cast<double>(count[c]), sum[c].h / static_cast<double>(count[c])};
    if (!moved) break;
  }
  std::sort(centroids.begin(), centroids.end(), [](const Shape& a, const Shape& b) { return a.w * a.h < b.w * b.h; });
  return centroids;
}

double smallest_matchable(double step, double threshold) {
  // Two boxes of side s, offset by step / 2 in x and y: IoU = (s - step/2)^2 / (2 s^2 - (s - step/2)^2) >= t.
  return step / (2 * (1 - std::sqrt(2 * threshold / (1 + threshold))));
}

size_t level_for(double side, const std::vector<double>& steps, double threshold) {
  size_t level = 0;
  for (size_t l = 0; l < steps.size(); ++l)
    if (side >= smallest_matchable(steps[l], threshold)) level = l;
  return level;
}

PriorProposal propose_priors(const std::vector<Shape>& shapes, const model::PriorTable& now, size_t per_level, double threshold,
                             uint64_t seed) {
  PriorProposal p;
  p.per_level = per_level;
  const size_t levels = now.steps.size();
  std::vector<std::vector<Shape>> by_level(levels);
  const auto steps = now.coarser_steps();
  for (const auto& s : shapes) by_level[level_for(s.side(), steps, threshold)].push_back(s);
  std::vector<std::vector<Shape>> centroids(levels);
  for (size_t l = 0; l < levels; ++l) {
    p.boxes_per_level.push_back(by_level[l].size());
    p.kept.push_back(by_level[l].empty());
    centroids[l] = kmeans_shapes(by_level[l], per_level, seed);
    p.min_sizes.push_back(std::round((centroids[l].empty() ? now.min_sizes[l] : centroids[l].front().side()) * 10) / 10);
  }
  for (size_t l = 0; l < levels; ++l) {
    const double min_size = p.min_sizes[l];
    if (centroids[l].empty()) {
      p.max_sizes.push_back(std::round(now.max_sizes[l] * 10) / 10);
      p.aspect_ratios.push_back(now.aspect_ratios[l]);
      continue;
    }
    // The second square: at the side of the level's second centroid (max = side^2 / min), else as SSD puts it, at
    // sqrt(min * the next level's min) (max = the next min), and on the last level at the config's ratio of max to min.
    double max_size = centroids[l].size() >= 2 ? centroids[l][1].side() * centroids[l][1].side() / min_size
                      : l + 1 < levels          ? p.min_sizes[l + 1]
                                                : min_size * now.max_sizes[l] / now.min_sizes[l];
    p.max_sizes.push_back(std::round(std::max(max_size, min_size) * 10) / 10);
    std::vector<double> ratios;
    for (const auto& c : centroids[l]) {
      const double r = std::max(c.w / c.h, c.h / c.w);
      const double rounded = std::round(r * 10) / 10;
      if (r >= 1.4 && std::find(ratios.begin(), ratios.end(), rounded) == ratios.end()) ratios.push_back(rounded);
    }
    std::sort(ratios.begin(), ratios.end());
    p.aspect_ratios.push_back(ratios);
  }
  return p;
}

std::string proposal_yaml(const PriorProposal& p) {
  const auto list = [](const std::vector<double>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{:g}", i ? ", " : "", v[i]);
    return s + "]";
  };
  std::string ratios = "[";
  for (size_t i = 0; i < p.aspect_ratios.size(); ++i) ratios += (i ? ", " : "") + list(p.aspect_ratios[i]);
  ratios += "]";
  return "model:\n  priors:\n    min_sizes: " + list(p.min_sizes) + "\n    max_sizes: " + list(p.max_sizes) +
         "\n    aspect_ratios: " + ratios + "\n";
}

}  // namespace ssd::analysis
