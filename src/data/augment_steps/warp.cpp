#include "ssd/data/augment_steps/warp.h"

#include <algorithm>
#include <cmath>

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
  cv::Matx23d m = warp.map;
  if (warp.size == image.size() && m == cv::Matx23d(1, 0, 0, 0, 1, 0)) return image;
  // Shrunk by more than half along an axis, bilinear sampling would alias (zoom-out's textures): the image is first
  // reduced by area averaging to twice the size the map gives it, and the map takes the rest.
  const double along_x = std::hypot(m(0, 0), m(1, 0)), along_y = std::hypot(m(0, 1), m(1, 1));
  cv::Mat source = image;
  if (along_x < 0.5 || along_y < 0.5) {
    const cv::Size reduced(std::max(1, static_cast<int>(std::lround(image.cols * std::min(1.0, 2 * along_x)))),
                           std::max(1, static_cast<int>(std::lround(image.rows * std::min(1.0, 2 * along_y)))));
    cv::resize(image, source, reduced, 0, 0, cv::INTER_AREA);
    const double fx = static_cast<double>(reduced.width) / image.cols, fy = static_cast<double>(reduced.height) / image.rows;
    m = cv::Matx23d(m(0, 0) / fx, m(0, 1) / fy, m(0, 2), m(1, 0) / fx, m(1, 1) / fy, m(1, 2));
  }
  // OpenCV's maps take pixel centres (pixel i at i): p' + 0.5 = A (p + 0.5) + t.
  const cv::Matx23d centres(m(0, 0), m(0, 1), m(0, 2) + 0.5 * (m(0, 0) + m(0, 1)) - 0.5, m(1, 0), m(1, 1),
                            m(1, 2) + 0.5 * (m(1, 0) + m(1, 1)) - 0.5);
  cv::Mat out;
  // Nothing brought in: the edge pixels repeat, as cv::resize does them, instead of blending with a fill.
  cv::warpAffine(source, out, centres, warp.size, warp.interpolation, warp.reveals ? warp.border : cv::BORDER_REPLICATE, warp.fill);
  return out;
}

}  // namespace ssd::data::augment_steps
