#include "ssd/util/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "ssd/util/image_file.h"

namespace ssd::util {

namespace {

// matplotlib's tab10, BGR.
const cv::Scalar kColors[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44}, {40, 39, 214}, {189, 103, 148},
                              {75, 86, 140},  {194, 119, 227}, {127, 127, 127}, {34, 189, 188}, {207, 190, 23}};
constexpr size_t kNumColors = sizeof(kColors) / sizeof(kColors[0]);

std::string tick_text(double v, bool log_y) {
  char buf[32];
  if (log_y) std::snprintf(buf, sizeof(buf), "%.0e", std::pow(10.0, v));
  else std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

void draw_panel(cv::Mat& canvas, const Panel& p, cv::Rect area) {
  const int left = 70, right = 20, top = 28, bottom = 40;
  const cv::Rect plot(area.x + left, area.y + top, area.width - left - right, area.height - top - bottom);
  cv::rectangle(canvas, plot, cv::Scalar(0, 0, 0), 1);
  cv::putText(canvas, p.title, {area.x + left, area.y + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.55, {0, 0, 0}, 1, cv::LINE_AA);
  cv::putText(canvas, p.x_label, {plot.x + plot.width / 2 - 30, area.y + area.height - 6}, cv::FONT_HERSHEY_SIMPLEX, 0.45,
              {60, 60, 60}, 1, cv::LINE_AA);
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  auto ty = [&](double y) { return p.log_y ? std::log10(std::max(y, 1e-30)) : y; };
  auto tx = [&](double x) { return p.log_x ? std::log10(std::max(x, 1e-30)) : x; };
  for (const auto& s : p.series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, tx(s.x[i])), x1 = std::max(x1, tx(s.x[i]));
      y0 = std::min(y0, ty(s.y[i])), y1 = std::max(y1, ty(s.y[i]));
    }
  if (!std::isfinite(x0)) {
    cv::putText(canvas, p.empty_text, {plot.x + 10, plot.y + plot.height / 2}, cv::FONT_HERSHEY_SIMPLEX, 0.5, {120, 120, 120});
    return;
  }
  if (p.unit_range) y0 = 0, y1 = 1;
  if (std::isfinite(p.y_min)) y0 = ty(p.y_min);
  if (std::isfinite(p.y_max)) y1 = ty(p.y_max);
  if (std::isfinite(p.x_min)) x0 = tx(p.x_min);
  if (std::isfinite(p.x_max)) x1 = tx(p.x_max);
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + (y0 == 0 ? 1 : std::abs(y0) * 0.1);
  const bool fixed = p.unit_range || std::isfinite(p.y_min) || std::isfinite(p.y_max);
  const double pad = fixed ? 0.0 : (y1 - y0) * 0.05;
  // Non-negative data (LR, loss, mAP) keeps its axis at or above 0.
  y0 = (y0 >= 0 && !p.log_y) ? std::max(0.0, y0 - pad) : y0 - pad;
  y1 += pad;
  auto px = [&](double x) { return plot.x + static_cast<int>((tx(x) - x0) / (x1 - x0) * plot.width); };
  auto py = [&](double y) {
    const double f = std::clamp((ty(y) - y0) / (y1 - y0), 0.0, 1.0);
    return plot.y + plot.height - static_cast<int>(f * plot.height);
  };
  for (int i = 0; i <= 4; ++i) {  // y ticks with grid lines
    const double v = y0 + (y1 - y0) * i / 4;
    const int y = plot.y + plot.height - plot.height * i / 4;
    cv::line(canvas, {plot.x, y}, {plot.x + plot.width, y}, {225, 225, 225}, 1);
    cv::putText(canvas, tick_text(v, p.log_y), {area.x + 4, y + 4}, cv::FONT_HERSHEY_SIMPLEX, 0.4, {60, 60, 60}, 1, cv::LINE_AA);
  }
  for (int i = 0; i <= 4; ++i) {  // x ticks
    const double v = x0 + (x1 - x0) * i / 4;
    const int x = plot.x + plot.width * i / 4;
    char buf[32];
    if (p.log_x) std::snprintf(buf, sizeof(buf), "%.1e", std::pow(10.0, v));
    else std::snprintf(buf, sizeof(buf), "%.4g", v);
    cv::putText(canvas, buf, {x - 15, plot.y + plot.height + 16}, cv::FONT_HERSHEY_SIMPLEX, 0.4, {60, 60, 60}, 1, cv::LINE_AA);
  }
  for (size_t k = 0; k < p.markers_x.size(); ++k) {
    const double m = p.markers_x[k];
    if (tx(m) < x0 || tx(m) > x1) continue;
    for (int y = plot.y; y < plot.y + plot.height; y += 8) cv::line(canvas, {px(m), y}, {px(m), y + 4}, {150, 150, 150}, 1);
    if (k < p.marker_labels.size() && !p.marker_labels[k].empty()) {
      // Right of the line, or left of it where the text would leave the plot; rows staggered so neighbours do not collide.
      int baseline = 0;
      const cv::Size size = cv::getTextSize(p.marker_labels[k], cv::FONT_HERSHEY_SIMPLEX, 0.38, 1, &baseline);
      const int x = px(m) + 3 + size.width > plot.x + plot.width ? px(m) - 3 - size.width : px(m) + 3;
      const int y = plot.y + plot.height / 3 + 13 * static_cast<int>(k % 4);
      cv::rectangle(canvas, {x - 1, y - size.height - 1}, {x + size.width + 1, y + baseline}, {255, 255, 255}, cv::FILLED);
      cv::putText(canvas, p.marker_labels[k], {x, y}, cv::FONT_HERSHEY_SIMPLEX, 0.38, {70, 70, 70}, 1, cv::LINE_AA);
    }
  }
  for (size_t k = 0; k < p.series.size(); ++k) {
    const auto& s = p.series[k];
    const cv::Scalar color = kColors[k % kNumColors];
    std::vector<cv::Point> pts;
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i])) pts.emplace_back(px(s.x[i]), py(s.y[i]));
    if (pts.size() == 1) cv::circle(canvas, pts[0], 3, color, cv::FILLED, cv::LINE_AA);
    else if (!pts.empty()) cv::polylines(canvas, pts, false, color, 2, cv::LINE_AA);
    for (const auto& pt : pts.size() < 40 ? pts : std::vector<cv::Point>{}) cv::circle(canvas, pt, 2, color, cv::FILLED, cv::LINE_AA);
    if (s.name.empty()) continue;  // unnamed series: no legend entry
    const int ly = plot.y + 16 + 16 * static_cast<int>(k);
    cv::line(canvas, {plot.x + plot.width - 210, ly - 4}, {plot.x + plot.width - 190, ly - 4}, color, 2);
    cv::putText(canvas, s.name, {plot.x + plot.width - 185, ly}, cv::FONT_HERSHEY_SIMPLEX, 0.42, {30, 30, 30}, 1, cv::LINE_AA);
  }
}

}  // namespace

void save_chart(const std::string& path, const std::vector<Panel>& panels, int width, int panel_height) {
  cv::Mat canvas(panel_height * static_cast<int>(panels.size()), width, CV_8UC3, cv::Scalar(255, 255, 255));
  for (size_t i = 0; i < panels.size(); ++i)
    draw_panel(canvas, panels[i], cv::Rect(0, static_cast<int>(i) * panel_height, width, panel_height));
  write_image_file(path, canvas);
}

void save_chart_grid(const std::string& path, const std::vector<Panel>& panels, int columns, int panel_width, int panel_height) {
  columns = std::max(1, std::min<int>(columns, static_cast<int>(panels.size())));
  const int rows = (static_cast<int>(panels.size()) + columns - 1) / columns;
  cv::Mat canvas(panel_height * std::max(rows, 1), panel_width * columns, CV_8UC3, cv::Scalar(255, 255, 255));
  for (size_t i = 0; i < panels.size(); ++i) {
    const int r = static_cast<int>(i) / columns, c = static_cast<int>(i) % columns;
    draw_panel(canvas, panels[i], cv::Rect(c * panel_width, r * panel_height, panel_width, panel_height));
  }
  write_image_file(path, canvas);
}

}  // namespace ssd::util
