#pragma once
// Box geometry on tensors. Convention: xyxy = (x1, y1, x2, y2) with x2 >= x1, continuous coordinates
// (a box [0, 0, 1, 1] has area 1); cxcywh = (centre x, centre y, width, height). Shapes are [..., 4].
#include <ATen/core/Tensor.h>

namespace ssd::ops {

/// [..., 4] xyxy -> [...] area; degenerate boxes give 0, never a negative area.
at::Tensor box_area(const at::Tensor& xyxy);

/// a [N, 4], b [M, 4], both xyxy -> [N, M] IoU. Empty boxes have IoU 0 with everything.
at::Tensor box_iou(const at::Tensor& a, const at::Tensor& b);

at::Tensor xyxy_to_cxcywh(const at::Tensor& xyxy);
at::Tensor cxcywh_to_xyxy(const at::Tensor& cxcywh);

/// Clamps xyxy boxes to [0, width] x [0, height].
at::Tensor clip_boxes(const at::Tensor& xyxy, double width, double height);

}  // namespace ssd::ops
