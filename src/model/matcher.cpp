#include "ssd/model/matcher.h"

#include <ATen/ATen.h>

#include "ssd/ops/boxes.h"
#include "ssd/util/check.h"

namespace ssd::model {

namespace {

// The assignment for one image on CPU over raw arrays: a handful of comparisons per prior, which as tensor
// operations (max, index_put_ per forced object, index_select) cost more in dispatch than in arithmetic.
// gt [G, 4] xyxy float, labels [G] int64, priors_xyxy [P, 4] float; all contiguous CPU tensors.
MatchResult match_on_cpu(const at::Tensor& gt, const at::Tensor& gt_labels, const at::Tensor& priors_xyxy, double iou_threshold) {
  const int64_t P = priors_xyxy.size(0), G = gt.size(0);
  const auto iou = ops::box_iou(gt, priors_xyxy);  // [G, P]
  const float* m = iou.data_ptr<float>();
  std::vector<float> best_iou(static_cast<size_t>(P), -1.f);  // per prior: its best ground truth (the first on ties)
  std::vector<int64_t> best_gt(static_cast<size_t>(P), 0);
  std::vector<int64_t> best_prior(static_cast<size_t>(G), 0);  // per ground truth: its best prior (the first on ties)
  std::vector<float> gt_best_iou(static_cast<size_t>(G), -1.f);
  for (int64_t g = 0; g < G; ++g) {
    const float* row = m + g * P;
    for (int64_t p = 0; p < P; ++p) {
      if (row[p] > best_iou[p]) best_iou[p] = row[p], best_gt[p] = g;
      if (row[p] > gt_best_iou[g]) gt_best_iou[g] = row[p], best_prior[g] = p;
    }
  }
  // Force each ground truth onto its best prior, unless it overlaps no prior at all (a degenerate box):
  // forcing that one would turn an arbitrary prior into a positive. When two ground truths share a best
  // prior the later one wins, as in the reference implementations.
  for (int64_t g = 0; g < G; ++g)
    if (gt_best_iou[g] > 0) best_gt[best_prior[g]] = g, best_iou[best_prior[g]] = 2.f;  // above any threshold

  auto labels = at::empty({P}, at::kLong);
  auto boxes = at::empty({P, 4}, at::kFloat);
  int64_t* l = labels.data_ptr<int64_t>();
  float* b = boxes.data_ptr<float>();
  const int64_t* gl = gt_labels.data_ptr<int64_t>();
  const float* gb = gt.data_ptr<float>();
  const auto threshold = static_cast<float>(iou_threshold);
  for (int64_t p = 0; p < P; ++p) {
    const int64_t g = best_gt[p];
    l[p] = best_iou[p] < threshold ? 0 : gl[g];
    std::copy_n(gb + 4 * g, 4, b + 4 * p);
  }
  return {labels, boxes};
}

MatchResult match_xyxy(const at::Tensor& gt_boxes, const at::Tensor& gt_labels, const at::Tensor& priors_xyxy,
                       double iou_threshold) {
  const int64_t P = priors_xyxy.size(0), G = gt_boxes.size(0);
  SSD_CHECK(gt_labels.dim() == 1 && gt_labels.size(0) == G, "match: expected ", G, " labels, got ", gt_labels.sizes());
  if (G == 0) return {at::zeros({P}, at::kLong), at::zeros({P, 4}, at::kFloat)};
  return match_on_cpu(gt_boxes.to(at::kCPU, at::kFloat).contiguous(), gt_labels.to(at::kCPU, at::kLong).contiguous(),
                      priors_xyxy, iou_threshold);
}

}  // namespace

MatchResult match(const at::Tensor& gt_boxes, const at::Tensor& gt_labels, const at::Tensor& priors,
                  double iou_threshold) {
  auto m = match_xyxy(gt_boxes, gt_labels, ops::cxcywh_to_xyxy(priors.to(at::kCPU, at::kFloat)).contiguous(), iou_threshold);
  return {m.labels.to(priors.device()), m.boxes.to(priors.device(), priors.scalar_type())};
}

Targets assign_targets(const std::vector<at::Tensor>& gt_boxes, const std::vector<at::Tensor>& gt_labels,
                       const at::Tensor& priors, const BoxCoder& coder, double iou_threshold) {
  SSD_CHECK(gt_boxes.size() == gt_labels.size(), "assign_targets: expected as many label lists (", gt_labels.size(),
            ") as box lists (", gt_boxes.size(), ")");
  // Matched on CPU (see match_on_cpu), encoded for the whole batch at once, moved to the priors' device once.
  const auto priors_on_cpu = priors.to(at::kCPU, at::kFloat);  // one copy per batch when the model is on a GPU
  const auto priors_xyxy = ops::cxcywh_to_xyxy(priors_on_cpu).contiguous();
  std::vector<at::Tensor> labels, boxes;
  for (size_t i = 0; i < gt_boxes.size(); ++i) {
    auto m = match_xyxy(gt_boxes[i], gt_labels[i], priors_xyxy, iou_threshold);
    labels.push_back(m.labels);
    boxes.push_back(m.boxes);
  }
  const auto deltas = coder.encode(at::stack(boxes), priors_on_cpu);
  return {at::stack(labels).to(priors.device()), deltas.to(priors.device(), priors.scalar_type()), priors, coder};
}

}  // namespace ssd::model
