#pragma once
// Line charts for the PNGs a run writes (loss, LR, mAP, PR curves, the range test, the tuner, ssd-runs compare), drawn
// by PLplot: ticks at round numbers on linear or log axes, axis titles, curves clipped to the axes.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace ssd::util {

struct Series {
  Series(std::string name_ = "", std::vector<double> x_ = {}, std::vector<double> y_ = {})
      : name(std::move(name_)), x(std::move(x_)), y(std::move(y_)) {}
  std::string name;
  std::vector<double> x, y;
  /// Drawn as a step function: y[i] holds over (x[i-1], x[i]] (a logged value that stands for the steps before it, as
  /// metrics.csv's LR: a step decay shows as a step, not as a slope between two logged points).
  bool steps = false;
};

struct Panel {
  std::string title, x_label;
  std::string y_label;  ///< the y axis's title ("" = none)
  std::vector<Series> series;
  bool log_y = false;
  bool log_y_when_wide = false;  ///< a log y axis when every value is positive and they span more than 30x
  std::vector<double> markers_x;  ///< vertical dashed lines (phase boundaries)
  bool unit_range = false;        ///< y axis fixed to [0, 1] (for mAP)
  bool log_x = false;
  double y_min = NAN, y_max = NAN;  ///< fixed y limits when finite (curves are clipped to them)
  std::vector<std::string> marker_labels;  ///< optional text per marker, written at the top of its line
  double x_min = NAN, x_max = NAN;         ///< fixed x limits when finite
  std::string empty_text = "no data yet";  ///< shown when no series has a finite point
};

/// Renders panels stacked vertically into one PNG at `path` (width x panel_height each). Throws on write failure.
void save_chart(const std::string& path, const std::vector<Panel>& panels, int width = 900, int panel_height = 260);

/// Renders panels in a grid, `columns` wide, row by row (one small chart per class, for example).
void save_chart_grid(const std::string& path, const std::vector<Panel>& panels, int columns, int panel_width = 360,
                     int panel_height = 260);

}  // namespace ssd::util
