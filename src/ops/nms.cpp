#include "ssd/ops/nms.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "ssd/util/check.h"

namespace ssd::ops {

std::vector<int64_t> nms_in_score_order(const float* xyxy, int64_t n, float iou_threshold) {
  // The boxes still in the running, one array per coordinate. Each kept box filters the rest into a compacted
  // list, so every pass reads only survivors, contiguously, and the compiler can vectorise the IoU arithmetic.
  std::vector<float> x1(n), y1(n), x2(n), y2(n), area(n);
  std::vector<int64_t> position(n);
  for (int64_t k = 0; k < n; ++k) {
    const float* box = xyxy + 4 * k;
    x1[k] = box[0], y1[k] = box[1], x2[k] = box[2], y2[k] = box[3];
    area[k] = std::max(0.f, x2[k] - x1[k]) * std::max(0.f, y2[k] - y1[k]);
    position[k] = k;
  }
  std::vector<int64_t> keep;
  std::vector<uint8_t> survives(n);
  int64_t remaining = n;
  while (remaining > 0) {
    keep.push_back(position[0]);  // the best remaining box: nothing kept before it overlaps it enough
    const float ix1 = x1[0], iy1 = y1[0], ix2 = x2[0], iy2 = y2[0], ia = area[0];
    // Two passes: the IoU test over every remaining box (branch-free, vectorised), then the compaction.
    for (int64_t j = 1; j < remaining; ++j) {
      const float w = std::max(0.f, std::min(ix2, x2[j]) - std::max(ix1, x1[j]));
      const float h = std::max(0.f, std::min(iy2, y2[j]) - std::max(iy1, y1[j]));
      const float inter = w * h;
      const float uni = ia + area[j] - inter;
      // Same arithmetic as torchvision's CPU kernel, so ties at the threshold decide the same way. uni is 0 for
      // two empty boxes, whose intersection is 0: dividing by the smallest normal float then gives IoU 0 without
      // a branch (a branch here would stop the compiler from vectorising the loop). A box with NaN coordinates
      // also gets uni 0 but a non-zero intersection: it counts as overlapping and is suppressed (torchvision
      // keeps it; a diverged head's boxes are dropped here).
      const float iou = inter / std::max(uni, std::numeric_limits<float>::min());
      survives[j] = iou <= iou_threshold;
    }
    int64_t survivors = 0;
    for (int64_t j = 1; j < remaining; ++j) {
      // Written unconditionally, advanced only for a survivor: no unpredictable branch.
      x1[survivors] = x1[j], y1[survivors] = y1[j], x2[survivors] = x2[j], y2[survivors] = y2[j];
      area[survivors] = area[j], position[survivors] = position[j];
      survivors += survives[j];
    }
    remaining = survivors;
  }
  return keep;
}

at::Tensor nms(const at::Tensor& boxes_in, const at::Tensor& scores_in, double iou_threshold) {
  SSD_CHECK(boxes_in.dim() == 2 && boxes_in.size(1) == 4, "nms: expected boxes of shape [N, 4], got ", boxes_in.sizes());
  SSD_CHECK(scores_in.dim() == 1 && scores_in.size(0) == boxes_in.size(0), "nms: expected scores of shape [",
            boxes_in.size(0), "], got ", scores_in.sizes());
  const auto device = boxes_in.device();
  const int64_t n = boxes_in.size(0);
  if (n == 0) return at::empty({0}, boxes_in.options().dtype(at::kLong));

  // The greedy pass is sequential: it runs on CPU over raw pointers, in O(N * kept) IoU evaluations.
  const auto boxes = boxes_in.to(at::kCPU, at::kFloat).contiguous();
  const auto scores = scores_in.to(at::kCPU, at::kFloat).contiguous();
  const auto order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true)).contiguous();
  const auto sorted = boxes.index_select(0, order);
  const int64_t* ord = order.data_ptr<int64_t>();
  auto keep = nms_in_score_order(sorted.data_ptr<float>(), n, static_cast<float>(iou_threshold));
  for (auto& k : keep) k = ord[k];
  return at::tensor(keep, at::TensorOptions().dtype(at::kLong)).to(device);
}

at::Tensor batched_nms(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& idxs, double iou_threshold) {
  SSD_CHECK(idxs.dim() == 1 && idxs.size(0) == boxes.size(0), "batched_nms: expected idxs of shape [", boxes.size(0),
            "], got ", idxs.sizes());
  if (boxes.size(0) == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  // One NMS per category rather than torchvision's coordinate-offset trick: offsets of (max + 1) * category
  // cost float32 precision on large coordinates, which could flip a decision at the threshold.
  auto keep_mask = at::zeros({boxes.size(0)}, boxes.options().dtype(at::kBool));
  const auto categories = std::get<0>(at::_unique(idxs));
  for (int64_t c = 0; c < categories.size(0); ++c) {
    const auto members = (idxs == categories[c]).nonzero().squeeze(1);
    const auto kept = nms(boxes.index_select(0, members), scores.index_select(0, members), iou_threshold);
    keep_mask.index_fill_(0, members.index_select(0, kept), true);
  }
  const auto keep = keep_mask.nonzero().squeeze(1);
  const auto order = std::get<1>(scores.index_select(0, keep).sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  return keep.index_select(0, order);
}

}  // namespace ssd::ops
