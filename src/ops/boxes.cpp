#include "ssd/ops/boxes.h"

#include <ATen/ATen.h>

#include "ssd/util/check.h"

namespace ssd::ops {

at::Tensor box_area(const at::Tensor& xyxy) {
  const auto w = (xyxy.select(-1, 2) - xyxy.select(-1, 0)).clamp_min(0);
  const auto h = (xyxy.select(-1, 3) - xyxy.select(-1, 1)).clamp_min(0);
  return w * h;
}

at::Tensor box_iou(const at::Tensor& a, const at::Tensor& b) {
  SSD_CHECK(a.dim() == 2 && a.size(1) == 4, "box_iou: expected a of shape [N, 4], got ", a.sizes());
  SSD_CHECK(b.dim() == 2 && b.size(1) == 4, "box_iou: expected b of shape [M, 4], got ", b.sizes());
  const auto area_a = box_area(a).unsqueeze(1);  // [N, 1]
  const auto area_b = box_area(b).unsqueeze(0);  // [1, M]
  const auto lt = at::max(a.slice(1, 0, 2).unsqueeze(1), b.slice(1, 0, 2).unsqueeze(0));  // [N, M, 2]
  const auto rb = at::min(a.slice(1, 2, 4).unsqueeze(1), b.slice(1, 2, 4).unsqueeze(0));
  const auto wh = (rb - lt).clamp_min(0);
  const auto inter = wh.select(-1, 0) * wh.select(-1, 1);
  const auto uni = area_a + area_b - inter;
  // Two empty boxes have union 0: their IoU is 0, not NaN.
  return at::where(uni > 0, inter / uni.clamp_min(1e-12), at::zeros_like(inter));
}

at::Tensor xyxy_to_cxcywh(const at::Tensor& b) {
  const auto x1 = b.select(-1, 0), y1 = b.select(-1, 1), x2 = b.select(-1, 2), y2 = b.select(-1, 3);
  return at::stack({(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1}, -1);
}

at::Tensor cxcywh_to_xyxy(const at::Tensor& b) {
  const auto cx = b.select(-1, 0), cy = b.select(-1, 1), w = b.select(-1, 2), h = b.select(-1, 3);
  return at::stack({cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}, -1);
}

at::Tensor clip_boxes(const at::Tensor& b, double width, double height) {
  return at::stack({b.select(-1, 0).clamp(0, width), b.select(-1, 1).clamp(0, height),
                    b.select(-1, 2).clamp(0, width), b.select(-1, 3).clamp(0, height)},
                   -1);
}

}  // namespace ssd::ops
