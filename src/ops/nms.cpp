#include "ssd/ops/nms.h"

#include <ATen/ATen.h>

#include <vector>

#include "ssd/util/check.h"

namespace ssd::ops {

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
  const float* b = boxes.data_ptr<float>();
  const int64_t* ord = order.data_ptr<int64_t>();

  std::vector<float> area(n);
  for (int64_t i = 0; i < n; ++i)
    area[i] = std::max(0.f, b[4 * i + 2] - b[4 * i]) * std::max(0.f, b[4 * i + 3] - b[4 * i + 1]);

  std::vector<char> suppressed(n, 0);
  std::vector<int64_t> keep;
  keep.reserve(n);
  const float thr = static_cast<float>(iou_threshold);
  for (int64_t oi = 0; oi < n; ++oi) {
    const int64_t i = ord[oi];
    if (suppressed[i]) continue;
    keep.push_back(i);
    const float ix1 = b[4 * i], iy1 = b[4 * i + 1], ix2 = b[4 * i + 2], iy2 = b[4 * i + 3];
    for (int64_t oj = oi + 1; oj < n; ++oj) {
      const int64_t j = ord[oj];
      if (suppressed[j]) continue;
      const float w = std::max(0.f, std::min(ix2, b[4 * j + 2]) - std::max(ix1, b[4 * j]));
      const float h = std::max(0.f, std::min(iy2, b[4 * j + 3]) - std::max(iy1, b[4 * j + 1]));
      const float inter = w * h;
      const float uni = area[i] + area[j] - inter;
      // Same arithmetic as torchvision's CPU kernel, so ties at the threshold decide the same way.
      const float iou = uni > 0 ? inter / uni : 0.f;
      if (iou > thr) suppressed[j] = 1;
    }
  }
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
