#include "ssd/analysis/prior_coverage.h"

#include <ATen/ATen.h>

#include <cmath>

#include "ssd/ops/boxes.h"

namespace ssd::analysis {

std::vector<double> best_prior_iou(const BoxShapes& shapes, const at::Tensor& priors) {
  std::vector<double> best;
  best.reserve(shapes.boxes.size());
  if (shapes.boxes.empty()) return best;
  const auto prior_corners = ops::cxcywh_to_xyxy(priors.to(at::kCPU, at::kFloat));
  const double sx = 1.0 / static_cast<double>(shapes.input_size.width), sy = 1.0 / static_cast<double>(shapes.input_size.height);
  constexpr size_t kChunk = 256;  // boxes per IoU matrix: 256 x P floats at a time
  for (size_t start = 0; start < shapes.boxes.size(); start += kChunk) {
    const size_t n = std::min(kChunk, shapes.boxes.size() - start);
    auto boxes = at::empty({static_cast<int64_t>(n), 4}, at::kFloat);
    auto* p = boxes.data_ptr<float>();
    for (size_t k = 0; k < n; ++k) {
      const auto& b = shapes.boxes[start + k];
      p[4 * k] = static_cast<float>(b.x1 * sx), p[4 * k + 1] = static_cast<float>(b.y1 * sy);
      p[4 * k + 2] = static_cast<float>(b.x2 * sx), p[4 * k + 3] = static_cast<float>(b.y2 * sy);
    }
    const auto iou = std::get<0>(ops::box_iou(boxes, prior_corners).max(1)).contiguous();
    const auto* q = iou.data_ptr<float>();
    for (size_t k = 0; k < n; ++k) best.push_back(q[k]);
  }
  return best;
}

double unmatched_share(const std::vector<double>& best, double threshold) {
  if (best.empty()) return std::nan("");
  size_t below = 0;
  for (const double x : best) below += x < threshold;
  return static_cast<double>(below) / static_cast<double>(best.size());
}

}  // namespace ssd::analysis
