#pragma once
// The overlap of two single boxes, for code that holds boxes as numbers rather than tensors (the crop augmentation,
// the VOC and COCO evaluators, the confusion matrix). Same convention as ops/boxes.h: corners (x1, y1, x2, y2) in
// continuous coordinates, so a box [0, 0, 1, 1] has area 1; a degenerate box (x2 <= x1 or y2 <= y1) has area 0.
// ops::box_iou computes the same IoU for whole [N, 4] x [M, 4] tensors.
#include <algorithm>

namespace ssd::ops {

template <typename T>
struct Corners {
  T x1, y1, x2, y2;
};

/// Any box type with x1, y1, x2, y2 members (data::Object, eval::Detection) as corners in T.
template <typename T, typename Box>
Corners<T> corners_of(const Box& b) {
  return {static_cast<T>(b.x1), static_cast<T>(b.y1), static_cast<T>(b.x2), static_cast<T>(b.y2)};
}

template <typename T>
T area(const Corners<T>& b) {
  return std::max<T>(0, b.x2 - b.x1) * std::max<T>(0, b.y2 - b.y1);
}

template <typename T>
T intersection(const Corners<T>& a, const Corners<T>& b) {
  const T w = std::max<T>(0, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const T h = std::max<T>(0, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  return w * h;
}

/// Intersection over union; 0 when the union is empty (two degenerate boxes).
template <typename T>
T iou(const Corners<T>& a, const Corners<T>& b) {
  const T inter = intersection(a, b);
  const T uni = area(a) + area(b) - inter;
  return uni > 0 ? inter / uni : T(0);
}

}  // namespace ssd::ops
