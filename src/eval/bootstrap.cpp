#include "ssd/eval/bootstrap.h"

#include <cmath>
#include <random>
#include <string>
#include <unordered_map>

namespace ssd::eval {

std::vector<size_t> bootstrap_draw(size_t n, int replicate, uint64_t seed) {
  // One stream per replicate: replicate r is the same whether or not the ones before it were drawn.
  std::seed_seq seq{seed, static_cast<uint64_t>(replicate), static_cast<uint64_t>(n)};
  std::mt19937_64 rng(seq);
  std::vector<size_t> draw(n);
  if (n == 0) return draw;
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  for (auto& i : draw) i = pick(rng);
  return draw;
}

std::vector<double> bootstrap_voc_map(const std::vector<data::Annotation>& ground_truth, const std::vector<Detection>& detections,
                                      int64_t num_classes, bool use_07_metric, int replicates, uint64_t seed) {
  std::unordered_map<std::string, std::vector<size_t>> by_image;
  for (size_t k = 0; k < detections.size(); ++k) by_image[detections[k].image_id].push_back(k);
  std::vector<double> maps;
  maps.reserve(static_cast<size_t>(std::max(replicates, 0)));
  for (int r = 0; r < replicates; ++r) {
    std::vector<data::Annotation> gt;
    std::vector<Detection> dets;
    gt.reserve(ground_truth.size());
    const auto draw = bootstrap_draw(ground_truth.size(), r, seed);
    for (size_t j = 0; j < draw.size(); ++j) {
      // Each drawn copy is an image of its own (ids must be unique), with its own copy of the detections.
      auto copy = ground_truth[draw[j]];
      const auto found = by_image.find(copy.id);
      copy.id += "#" + std::to_string(j);
      if (found != by_image.end())
        for (const size_t k : found->second) {
          dets.push_back(detections[k]);
          dets.back().image_id = copy.id;
        }
      gt.push_back(std::move(copy));
    }
    maps.push_back(evaluate_voc(gt, dets, num_classes, use_07_metric).map);
  }
  return maps;
}

std::vector<double> bootstrap_mean_loss(const std::vector<double>& image_losses, int replicates, uint64_t seed) {
  std::vector<double> means;
  for (int r = 0; r < replicates && !image_losses.empty(); ++r) {
    double sum = 0;
    for (const size_t i : bootstrap_draw(image_losses.size(), r, seed)) sum += image_losses[i];
    means.push_back(sum / static_cast<double>(image_losses.size()));
  }
  return means;
}

double share_better(const std::vector<double>& a, const std::vector<double>& b, bool maximise) {
  if (a.empty() || a.size() != b.size()) return std::nan("");
  double wins = 0;
  for (size_t r = 0; r < a.size(); ++r) {
    if (a[r] == b[r]) wins += 0.5;
    else if (maximise ? a[r] > b[r] : a[r] < b[r]) wins += 1;
  }
  return wins / static_cast<double>(a.size());
}

double standard_error(const std::vector<double>& replicates) {
  if (replicates.size() < 2) return std::nan("");
  double mean = 0;
  for (const double x : replicates) mean += x;
  mean /= static_cast<double>(replicates.size());
  double ss = 0;
  for (const double x : replicates) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(replicates.size() - 1));
}

}  // namespace ssd::eval
