#pragma once
// Non-maximum suppression with torchvision.ops semantics:
//  - boxes are visited in descending score order; equal scores keep their input order (stable sort);
//  - a box is suppressed when its IoU with an already kept box is strictly greater than iou_threshold;
//  - the result holds the kept indices (int64) in descending score order.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ssd::ops {

/// The greedy pass alone, for callers that hold raw arrays: xyxy holds n boxes (4 floats each) already in descending
/// score order; returns the positions (0..n-1) of the kept ones, in order.
std::vector<int64_t> nms_in_score_order(const float* xyxy, int64_t n, float iou_threshold);

/// boxes [N, 4] xyxy, scores [N] -> kept indices [K] int64. Runs on CPU; other devices copy in and out.
at::Tensor nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold);

/// NMS done independently per category idxs [N] (boxes of different categories never suppress each other).
at::Tensor batched_nms(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& idxs, double iou_threshold);

}  // namespace ssd::ops
