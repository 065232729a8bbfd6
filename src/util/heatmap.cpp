#include "ssd/util/heatmap.h"

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "ssd/util/image_file.h"

namespace ssd::util {

namespace {
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kScale = 0.42;

int text_width(const std::string& s) {
  int baseline = 0;
  return cv::getTextSize(s, kFont, kScale, 1, &baseline).width;
}
}  // namespace

void save_heatmap(const std::string& path, const Heatmap& h) {
  const int rows = static_cast<int>(h.row_labels.size()), cols = static_cast<int>(h.column_labels.size());
  int label_w = 0, col_label_h = 0, cell_w = 34;
  for (const auto& l : h.row_labels) label_w = std::max(label_w, text_width(l));
  for (const auto& l : h.column_labels) col_label_h = std::max(col_label_h, text_width(l));
  for (const auto& row : h.text)
    for (const auto& t : row) cell_w = std::max(cell_w, text_width(t) + 8);
  const int cell_h = 26, left = label_w + 40, top = col_label_h + 64;
  int baseline = 0;
  const int title_w = cv::getTextSize(h.title, kFont, 0.55, 1, &baseline).width;
  const int width = std::max({left + cols * cell_w + 20, title_w + 20, text_width(h.subtitle) + 20});
  const int height = top + rows * cell_h + 24;
  cv::Mat canvas(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(canvas, h.title, {10, 20}, kFont, 0.55, {0, 0, 0}, 1, cv::LINE_AA);
  cv::putText(canvas, h.subtitle, {10, 38}, kFont, kScale, {80, 80, 80}, 1, cv::LINE_AA);

  // Cell colours through OpenCV's viridis map, reversed so that 0 is light and 1 dark.
  cv::Mat levels(1, 256, CV_8UC1), palette;
  for (int i = 0; i < 256; ++i) levels.at<uint8_t>(0, i) = static_cast<uint8_t>(255 - i);
  cv::applyColorMap(levels, palette, cv::COLORMAP_VIRIDIS);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const double v = std::clamp(h.shade.at(r).at(c), 0.0, 1.0);
      const int level = static_cast<int>(v * 255 + 0.5);
      // Low values stay white-ish: blend towards white so empty cells read as empty.
      const cv::Vec3b p = palette.at<cv::Vec3b>(0, level);
      const double a = v < 1e-9 ? 0.0 : 0.25 + 0.75 * v;
      const cv::Scalar colour(255 * (1 - a) + p[0] * a, 255 * (1 - a) + p[1] * a, 255 * (1 - a) + p[2] * a);
      const cv::Rect cell(left + c * cell_w, top + r * cell_h, cell_w, cell_h);
      cv::rectangle(canvas, cell, colour, cv::FILLED);
      cv::rectangle(canvas, cell, {230, 230, 230}, 1);
      const std::string& t = h.text.at(r).at(c);
      if (!t.empty())
        cv::putText(canvas, t, {cell.x + (cell_w - text_width(t)) / 2, cell.y + 17}, kFont, kScale,
                    a > 0.6 ? cv::Scalar(255, 255, 255) : cv::Scalar(20, 20, 20), 1, cv::LINE_AA);
    }
  for (int r = 0; r < rows; ++r)
    cv::putText(canvas, h.row_labels[r], {left - 6 - text_width(h.row_labels[r]), top + r * cell_h + 17}, kFont, kScale, {30, 30, 30}, 1,
                cv::LINE_AA);
  // Column labels written vertically: drawn on a strip, then rotated a quarter turn.
  for (int c = 0; c < cols; ++c) {
    cv::Mat strip(cell_w, col_label_h + 4, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(strip, h.column_labels[c], {2, cell_w / 2 + 5}, kFont, kScale, {30, 30, 30}, 1, cv::LINE_AA);
    cv::Mat upright;
    cv::rotate(strip, upright, cv::ROTATE_90_COUNTERCLOCKWISE);
    upright.copyTo(canvas(cv::Rect(left + c * cell_w, top - upright.rows - 4, upright.cols, upright.rows)));
  }
  cv::putText(canvas, h.column_axis, {left, top + rows * cell_h + 16}, kFont, 0.45, {60, 60, 60}, 1, cv::LINE_AA);
  cv::Mat axis(18, text_width(h.row_axis) + 4, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(axis, h.row_axis, {2, 13}, kFont, 0.45, {60, 60, 60}, 1, cv::LINE_AA);
  cv::Mat axis_up;
  cv::rotate(axis, axis_up, cv::ROTATE_90_COUNTERCLOCKWISE);
  if (axis_up.rows <= rows * cell_h) axis_up.copyTo(canvas(cv::Rect(6, top, axis_up.cols, axis_up.rows)));
  write_image_file(path, canvas);
}

}  // namespace ssd::util
