#include "ssd/util/plot.h"

#include <plstream.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <opencv2/imgproc.hpp>

#include "ssd/util/error.h"
#include "ssd/util/image_file.h"

namespace ssd::util {

namespace {

// PLplot's colour map 0, as this file uses it: the page, the axes, the grid, the markers, then the series in
// matplotlib's tab10.
enum Colour : PLINT { kPage = 0, kAxes = 1, kGrid = 2, kMarker = 3, kFirstSeries = 4 };
constexpr int kSeriesColours = 10;
const int kTab10[kSeriesColours][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
                                       {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

void set_colours(plstream& pls) {
  pls.scmap0n(kFirstSeries + kSeriesColours);
  pls.scol0(kPage, 255, 255, 255);
  pls.scol0(kAxes, 0, 0, 0);
  pls.scol0(kGrid, 225, 225, 225);
  pls.scol0(kMarker, 150, 150, 150);
  for (int k = 0; k < kSeriesColours; ++k) pls.scol0(kFirstSeries + k, kTab10[k][0], kTab10[k][1], kTab10[k][2]);
}

// Text as PLplot shows it: '#' starts its escape sequences ("#1 trial 3" would lose "#1"), so it is doubled.
std::string plain(const std::string& text) {
  std::string out;
  for (const char c : text) out += c == '#' ? std::string("##") : std::string(1, c);
  return out;
}

// PLplot ends the process (exit()) when a device is missing, after asking for one on stdin: the driver the charts
// render through is looked for first, so that its absence is an error the caller can report and survive.
void require_memory_driver() {
  static const bool found = [] {
    const char* menus[256];
    const char* names[256];
    const char** menu = menus;
    const char** name = names;
    int count = 256;
    plgDevs(&menu, &name, &count);
    for (int i = 0; i < count; ++i)
      if (std::string(name[i]) == "memcairo") return true;
    return false;
  }();
  if (!found) throw DataError("charts need PLplot's cairo driver, which is not installed (Debian: plplot-driver-cairo)");
}

// Data to the axis's coordinate: PLplot's log axes take log10 values. NaN for what a log axis cannot show.
double to_axis(double v, bool log) {
  if (!log) return v;
  return v > 0 ? std::log10(v) : std::nan("");
}

struct Limits {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  bool empty() const { return !std::isfinite(x0); }
};

// The panel as drawn: log_y_when_wide settled on the data.
Panel settled(Panel p) {
  if (!p.log_y_when_wide || p.log_y) return p;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  bool positive = true;
  for (const auto& s : p.series)
    for (const double y : s.y)
      if (std::isfinite(y)) positive = positive && y > 0, lo = std::min(lo, y), hi = std::max(hi, y);
  p.log_y = positive && hi > 30 * lo;
  return p;
}

// The axes' ranges in axis coordinates: the data's, or the panel's fixed limits, with a margin above and below.
Limits limits_of(const Panel& p) {
  Limits l;
  for (const auto& s : p.series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      const double x = to_axis(s.x[i], p.log_x), y = to_axis(s.y[i], p.log_y);
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      l.x0 = std::min(l.x0, x), l.x1 = std::max(l.x1, x), l.y0 = std::min(l.y0, y), l.y1 = std::max(l.y1, y);
    }
  if (l.empty()) return l;
  if (p.unit_range) l.y0 = 0, l.y1 = 1;
  if (std::isfinite(p.y_min)) l.y0 = to_axis(p.y_min, p.log_y);
  if (std::isfinite(p.y_max)) l.y1 = to_axis(p.y_max, p.log_y);
  if (std::isfinite(p.x_min)) l.x0 = to_axis(p.x_min, p.log_x);
  if (std::isfinite(p.x_max)) l.x1 = to_axis(p.x_max, p.log_x);
  if (l.x1 <= l.x0) l.x1 = l.x0 + 1;
  if (l.y1 <= l.y0) l.y1 = l.y0 + (l.y0 == 0 ? 1 : std::abs(l.y0) * 0.1);
  const bool fixed = p.unit_range || std::isfinite(p.y_min) || std::isfinite(p.y_max);
  if (!fixed) {
    const double pad = (l.y1 - l.y0) * 0.05;
    // Non-negative data (LR, loss, mAP) keeps a linear axis at or above 0.
    l.y0 = (l.y0 >= 0 && !p.log_y) ? std::max(0.0, l.y0 - pad) : l.y0 - pad;
    l.y1 += pad;
  }
  return l;
}

// The points of a series in axis coordinates, as drawn: non-finite ones left out, a step series as its steps.
std::pair<std::vector<PLFLT>, std::vector<PLFLT>> drawn_points(const Series& s, const Panel& p) {
  std::vector<PLFLT> x, y;
  for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
    const double ax = to_axis(s.x[i], p.log_x), ay = to_axis(s.y[i], p.log_y);
    if (!std::isfinite(ax) || !std::isfinite(ay)) continue;
    if (s.steps && !x.empty()) x.push_back(x.back()), y.push_back(ay);  // the new value from the previous point on
    x.push_back(ax), y.push_back(ay);
  }
  return {x, y};
}

void draw_panel(plstream& pls, const Panel& given, int width, int height) {
  const Panel p = settled(given);
  // Margins in pixels of the panel, as fractions of it: room for the tick labels and the axis titles.
  const double left = (p.y_label.empty() ? 62.0 : 78.0) / width, right = 1 - 18.0 / width;
  const double bottom = (p.x_label.empty() ? 30.0 : 48.0) / height, top = 1 - 30.0 / height;
  pls.vpor(left, right, bottom, top);
  pls.col0(kAxes);
  pls.schr(0, 0.9);
  pls.mtex("t", 0.9, 0.0, 0.0, plain(p.title).c_str());
  if (!p.x_label.empty()) pls.mtex("b", 3.0, 0.5, 0.5, plain(p.x_label).c_str());
  if (!p.y_label.empty()) pls.mtex("l", 4.6, 0.5, 0.5, plain(p.y_label).c_str());
  const Limits l = limits_of(p);
  if (l.empty()) {
    pls.wind(0, 1, 0, 1);
    pls.box("bc", 0, 0, "bc", 0, 0);
    pls.col0(kMarker);
    pls.ptex(0.5, 0.5, 1, 0, 0.5, plain(p.empty_text).c_str());
    return;
  }
  pls.wind(l.x0, l.x1, l.y0, l.y1);
  const std::string x_log = p.log_x ? "l" : "", y_log = p.log_y ? "l" : "";
  pls.col0(kGrid);
  pls.width(1);
  pls.box(("g" + x_log).c_str(), 0, 0, ("g" + y_log).c_str(), 0, 0);
  pls.col0(kAxes);
  pls.box(("bcnst" + x_log).c_str(), 0, 0, ("bcnstv" + y_log).c_str(), 0, 0);

  pls.schr(0, 0.75);
  for (size_t k = 0; k < p.markers_x.size(); ++k) {
    const double m = to_axis(p.markers_x[k], p.log_x);
    if (!std::isfinite(m) || m < l.x0 || m > l.x1) continue;
    pls.col0(kMarker);
    pls.lsty(2);
    const PLFLT mx[2] = {m, m}, my[2] = {l.y0, l.y1};
    pls.line(2, mx, my);
    pls.lsty(1);
    if (k < p.marker_labels.size() && !p.marker_labels[k].empty()) {
      // Right of the line, or left of it in the right half; rows staggered so that neighbours do not collide.
      const bool right_half = (m - l.x0) > 0.6 * (l.x1 - l.x0);
      const double y = l.y0 + (l.y1 - l.y0) * (0.62 - 0.09 * static_cast<double>(k % 4));
      const double dx = (l.x1 - l.x0) * 0.006;
      pls.col0(kAxes);
      pls.ptex(right_half ? m - dx : m + dx, y, 1, 0, right_half ? 1.0 : 0.0, plain(p.marker_labels[k]).c_str());
    }
  }

  std::vector<PLINT> legend_options, legend_colours, legend_styles;
  std::vector<PLFLT> legend_widths;
  std::vector<std::string> legend_names;  // plain() copies, alive until pllegend has drawn them
  for (size_t k = 0; k < p.series.size(); ++k) {
    const auto& s = p.series[k];
    const PLINT colour = kFirstSeries + static_cast<PLINT>(k % kSeriesColours);
    const auto [x, y] = drawn_points(s, p);
    pls.col0(colour);
    pls.width(2);
    if (x.size() > 1) pls.line(static_cast<PLINT>(x.size()), x.data(), y.data());
    // Few points get a dot each (validations every few epochs), so that a lone one shows.
    if (!x.empty() && !s.steps && x.size() < 40) {
      pls.ssym(0, 2.0);
      pls.poin(static_cast<PLINT>(x.size()), x.data(), y.data(), 17);
    }
    pls.width(1);
    if (s.name.empty()) continue;  // unnamed series: no legend entry
    legend_options.push_back(PL_LEGEND_LINE);
    legend_colours.push_back(colour);
    legend_styles.push_back(1);
    legend_widths.push_back(2);
    legend_names.push_back(plain(s.name));
  }
  if (legend_names.empty()) return;
  std::vector<const char*> legend_text;
  for (const auto& name : legend_names) legend_text.push_back(name.c_str());
  const auto n = static_cast<PLINT>(legend_text.size());
  const std::vector<PLINT> text_colours(legend_text.size(), kAxes);
  PLFLT legend_width = 0, legend_height = 0;
  pls.legend(&legend_width, &legend_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE, 0.01, 0.02, 0.06, kPage, kGrid, 1, 0, 0, n,
             legend_options.data(), 0.8, 0.75, 1.6, 0.0, text_colours.data(), legend_text.data(), nullptr, nullptr, nullptr,
             nullptr, legend_colours.data(), legend_styles.data(), legend_widths.data(), nullptr, nullptr, nullptr, nullptr);
}

// Draws `panels` on a page of `columns` x rows panels of the given size, in memory (PLplot's memcairo driver), and
// writes it as an image file through write_image_file (atomic, its errors named).
void render(const std::string& path, const std::vector<Panel>& panels, int columns, int panel_width, int panel_height) {
  // PLplot keeps state across its streams: one chart at a time.
  static std::mutex plplot;
  const std::lock_guard<std::mutex> lock(plplot);
  require_memory_driver();
  columns = std::max(1, std::min<int>(columns, static_cast<int>(panels.size())));
  const int rows = std::max(1, (static_cast<int>(panels.size()) + columns - 1) / columns);
  const int width = panel_width * columns, height = panel_height * rows;
  cv::Mat rgba(height, width, CV_8UC4, cv::Scalar(255, 255, 255, 255));
  {
    plstream pls;
    pls.sdev("memcairo");
    pls.smema(width, height, rgba.data);
    set_colours(pls);
    pls.init();
    pls.ssub(columns, rows);
    for (size_t i = 0; i < panels.size(); ++i) {
      pls.adv(static_cast<PLINT>(i) + 1);
      draw_panel(pls, panels[i], panel_width, panel_height);
    }
  }  // the stream's end writes the page into `rgba`
  cv::Mat bgr;
  cv::cvtColor(rgba, bgr, cv::COLOR_RGBA2BGR);
  write_image_file(path, bgr);
}

}  // namespace

void save_chart(const std::string& path, const std::vector<Panel>& panels, int width, int panel_height) {
  render(path, panels, 1, width, panel_height);
}

void save_chart_grid(const std::string& path, const std::vector<Panel>& panels, int columns, int panel_width, int panel_height) {
  render(path, panels, columns, panel_width, panel_height);
}

}  // namespace ssd::util
