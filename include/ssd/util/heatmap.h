#pragma once
// A labelled matrix of numbers drawn as coloured cells with OpenCV (the confusion matrix's picture).
#include <string>
#include <vector>

namespace ssd::util {

struct Heatmap {
  std::string title, subtitle, row_axis, column_axis;
  std::vector<std::string> row_labels, column_labels;
  std::vector<std::vector<double>> shade;  ///< colour of each cell, 0..1 (light to dark)
  std::vector<std::vector<std::string>> text;  ///< written in each cell ("" for none)
};

/// Writes the heatmap as a PNG; cells are sized to fit the labels. Throws on write failure.
void save_heatmap(const std::string& path, const Heatmap& heatmap);

}  // namespace ssd::util
