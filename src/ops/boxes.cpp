#include "ssd/ops/boxes.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <vector>

#include "ssd/util/check.h"

namespace ssd::ops {

at::Tensor box_area(const at::Tensor& xyxy) {
  const auto w = (xyxy.select(-1, 2) - xyxy.select(-1, 0)).clamp_min(0);
  const auto h = (xyxy.select(-1, 3) - xyxy.select(-1, 1)).clamp_min(0);
  return w * h;
}

namespace {

// One pass over the N x M pairs writing only the result: the tensor expression below allocates five [N, M] or
// [N, M, 2] temporaries, which costs more than the arithmetic (page faults on every call at SSD's 8,732 priors).
template <class T>
void box_iou_cpu(const T* a, int64_t n, const T* b, int64_t m, T* out) {
  std::vector<T> area_b(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; ++j)
    area_b[j] = std::max<T>(0, b[4 * j + 2] - b[4 * j]) * std::max<T>(0, b[4 * j + 3] - b[4 * j + 1]);
  for (int64_t i = 0; i < n; ++i) {
    const T x1 = a[4 * i], y1 = a[4 * i + 1], x2 = a[4 * i + 2], y2 = a[4 * i + 3];
    const T area_a = std::max<T>(0, x2 - x1) * std::max<T>(0, y2 - y1);
    T* row = out + i * m;
    for (int64_t j = 0; j < m; ++j) {
      const T w = std::max<T>(0, std::min(x2, b[4 * j + 2]) - std::max(x1, b[4 * j]));
      const T h = std::max<T>(0, std::min(y2, b[4 * j + 3]) - std::max(y1, b[4 * j + 1]));
      const T inter = w * h, uni = area_a + area_b[j] - inter;
      // As the expression below: inter / max(uni, 1e-12) where uni > 0, else 0; uni is 0 only for two empty boxes,
      // whose intersection is 0, so one branch-free division covers both (and lets the compiler vectorise).
      row[j] = inter / std::max<T>(uni, T(1e-12));
    }
  }
}

}  // namespace

at::Tensor box_iou(const at::Tensor& a, const at::Tensor& b) {
  SSD_CHECK(a.dim() == 2 && a.size(1) == 4, "box_iou: expected a of shape [N, 4], got ", a.sizes());
  SSD_CHECK(b.dim() == 2 && b.size(1) == 4, "box_iou: expected b of shape [M, 4], got ", b.sizes());
  const bool plain_cpu = a.device().is_cpu() && b.device().is_cpu() && a.scalar_type() == b.scalar_type() &&
                         (a.scalar_type() == at::kFloat || a.scalar_type() == at::kDouble) &&
                         !(a.requires_grad() || b.requires_grad());
  if (plain_cpu) {
    const auto ac = a.contiguous(), bc = b.contiguous();
    auto out = at::empty({a.size(0), b.size(0)}, a.options());
    if (a.scalar_type() == at::kFloat)
      box_iou_cpu(ac.data_ptr<float>(), a.size(0), bc.data_ptr<float>(), b.size(0), out.data_ptr<float>());
    else
      box_iou_cpu(ac.data_ptr<double>(), a.size(0), bc.data_ptr<double>(), b.size(0), out.data_ptr<double>());
    return out;
  }
  // Other devices, and inputs that need gradients: the same formula as tensor operations.
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
