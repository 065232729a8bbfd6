#include "ssd/data/augment_steps/warp.h"

namespace ssd::data::augment_steps {

Warp identity_warp(cv::Size size) {
  Warp w;
  w.size = size;
  return w;
}

bool composable(const Warp& first, const Warp& second) {
  auto plain = [](const Warp& w) { return w.border == cv::BORDER_CONSTANT && w.interpolation == cv::INTER_LINEAR; };
  if (!plain(first) || !plain(second)) return false;
  if (!second.reveals) return true;
  // What second brings in must be its fill: not pixels that first cut away, nor first's fill of another colour.
  return !first.cuts && (!first.reveals || first.fill == second.fill);
}

Warp compose(const Warp& first, const Warp& second) {
  const cv::Matx33d a(first.map(0, 0), first.map(0, 1), first.map(0, 2), first.map(1, 0), first.map(1, 1), first.map(1, 2), 0, 0, 1);
  const cv::Matx33d b(second.map(0, 0), second.map(0, 1), second.map(0, 2), second.map(1, 0), second.map(1, 1), second.map(1, 2), 0, 0, 1);
  const cv::Matx33d m = b * a;
  Warp w = second;
  w.map = cv::Matx23d(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2));
  w.reveals = first.reveals || second.reveals;
  w.cuts = first.cuts || second.cuts;
  if (!second.reveals) w.fill = first.fill;
  return w;
}

cv::Mat warp_image(const cv::Mat& image, const Warp& warp) {
  const auto& m = warp.map;
  if (warp.size == image.size() && m == cv::Matx23d(1, 0, 0, 0, 1, 0)) return image;
  // OpenCV's maps take pixel centres (pixel i at i): p' + 0.5 = A (p + 0.5) + t.
  const cv::Matx23d centres(m(0, 0), m(0, 1), m(0, 2) + 0.5 * (m(0, 0) + m(0, 1)) - 0.5, m(1, 0), m(1, 1),
                            m(1, 2) + 0.5 * (m(1, 0) + m(1, 1)) - 0.5);
  cv::Mat out;
  cv::warpAffine(image, out, centres, warp.size, warp.interpolation, warp.border, warp.fill);
  return out;
}

}  // namespace ssd::data::augment_steps
