#include "ssd/model/matcher.h"

#include <ATen/ATen.h>

#include "ssd/ops/boxes.h"
#include "ssd/util/check.h"

namespace ssd::model {

MatchResult match(const at::Tensor& gt_boxes, const at::Tensor& gt_labels, const at::Tensor& priors,
                  double iou_threshold) {
  const int64_t P = priors.size(0), G = gt_boxes.size(0);
  SSD_CHECK(gt_labels.dim() == 1 && gt_labels.size(0) == G, "match: expected ", G, " labels, got ", gt_labels.sizes());
  if (G == 0)
    return {at::zeros({P}, priors.options().dtype(at::kLong)), at::zeros({P, 4}, priors.options())};

  const auto iou = ops::box_iou(gt_boxes.to(priors.scalar_type()), ops::cxcywh_to_xyxy(priors));  // [G, P]
  auto [best_iou, best_gt] = iou.max(0);  // per prior: best ground truth
  const auto [gt_best_iou, best_prior] = iou.max(1);  // per ground truth: best prior
  // Force each ground truth onto its best prior, unless it overlaps no prior at all (a degenerate box):
  // forcing that one would turn an arbitrary prior into a positive. When two ground truths share a best
  // prior the later one wins, as in the reference implementations; the loop makes that order explicit.
  const auto forced = (gt_best_iou > 0).nonzero().squeeze(1);
  for (int64_t i = 0; i < forced.size(0); ++i) {
    const auto g = forced[i];
    const auto p = best_prior.index_select(0, g.unsqueeze(0));
    best_gt.index_put_({p}, g);
    best_iou.index_put_({p}, 2.0);  // above any threshold
  }
  auto labels = gt_labels.to(at::kLong).index_select(0, best_gt);
  labels.masked_fill_(best_iou < iou_threshold, 0);
  return {labels, gt_boxes.to(priors.scalar_type()).index_select(0, best_gt)};
}

Targets assign_targets(const std::vector<at::Tensor>& gt_boxes, const std::vector<at::Tensor>& gt_labels,
                       const at::Tensor& priors, const BoxCoder& coder, double iou_threshold) {
  SSD_CHECK(gt_boxes.size() == gt_labels.size(), "assign_targets: expected as many label lists (", gt_labels.size(),
            ") as box lists (", gt_boxes.size(), ")");
  std::vector<at::Tensor> labels, boxes;
  for (size_t i = 0; i < gt_boxes.size(); ++i) {
    auto m = match(gt_boxes[i].to(priors.device()), gt_labels[i].to(priors.device()), priors, iou_threshold);
    labels.push_back(m.labels);
    boxes.push_back(m.boxes);
  }
  const auto stacked = at::stack(boxes);
  return {at::stack(labels), coder.encode(stacked, priors)};
}

}  // namespace ssd::model
