#include "ssd/analysis/box_shapes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ssd/data/augment.h"
#include "ssd/data/input_fit.h"
#include "ssd/util/csv.h"
#include "ssd/util/text_file.h"

namespace ssd::analysis {

double InputBox::side() const { return std::sqrt(std::max(0.0, width()) * std::max(0.0, height())); }

BoxShapes collect_box_shapes(const data::DetectionDataset& dataset, const config::ImageSize& input_size, double tile_scale,
                             const std::string& resize) {
  BoxShapes shapes;
  shapes.input_size = input_size;
  const auto input_w = static_cast<double>(input_size.width), input_h = static_cast<double>(input_size.height);
  // Along one axis, a box scaled into its tile (of `side` on that axis): the tile of the grid it starts in, or one
  // ending where the box ends when it would cross that tile's far edge, or one starting with the box when the box is
  // longer than a tile.
  auto into_tile = [&](double a, double b, double side) {
    a *= tile_scale, b *= tile_scale;
    double origin = std::floor(a / side) * side;
    if (b - origin > side) origin = b - a > side ? a : b - side;
    return std::pair<double, double>{a - origin, std::min(b - origin, side)};
  };
  shapes.classes = dataset.classes();
  for (size_t i = 0; i < dataset.size(); ++i) {
    const auto& a = dataset.annotation(i);
    int width = a.width, height = a.height;
    if (width <= 0 || height <= 0) {
      try {
        const auto sample = dataset.load(i);
        width = sample.image.cols, height = sample.image.rows;
      } catch (const std::exception&) {
        ++shapes.unreadable;  // the data set's report names it
        continue;
      }
    }
    ++shapes.images;
    if (tile_scale > 0) {
      for (const auto& o : a.objects) {
        const auto [x1, x2] = into_tile(o.x1, o.x2, input_w);
        const auto [y1, y2] = into_tile(o.y1, o.y2, input_h);
        shapes.boxes.push_back({i, o.label, x1, y1, x2, y2});
      }
    } else if (resize == "stretch") {
      const double sx = input_w / width, sy = input_h / height;
      for (const auto& o : a.objects) shapes.boxes.push_back({i, o.label, o.x1 * sx, o.y1 * sy, o.x2 * sx, o.y2 * sy});
    } else {
      for (const auto& o : data::fit_objects(a.objects, {width, height}, data::cv_size(input_size), resize))
        shapes.boxes.push_back({i, o.label, o.x1, o.y1, o.x2, o.y2});
    }
  }
  return shapes;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(at));
  const auto hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (at - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

void write_boxes_csv(const std::string& path, const BoxShapes& shapes, const data::DetectionDataset& dataset,
                     const std::vector<std::pair<std::string, std::vector<double>>>& extra) {
  std::ostringstream csv;
  csv << "image,class,x1,y1,x2,y2,side,aspect";
  for (const auto& [name, values] : extra) csv << "," << name;
  csv << "\n";
  for (size_t k = 0; k < shapes.boxes.size(); ++k) {
    const auto& b = shapes.boxes[k];
    const auto& name = b.label >= 1 && static_cast<size_t>(b.label) <= shapes.classes.size() ? shapes.classes[static_cast<size_t>(b.label) - 1]
                                                                                             : std::to_string(b.label);
    csv << util::csv_quoted(dataset.annotation(b.image).id) << "," << util::csv_quoted(name)
        << fmt::format(",{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{:.3f}", b.x1, b.y1, b.x2, b.y2, b.side(), b.width() / std::max(b.height(), 1e-9));
    for (const auto& [name_, values] : extra) csv << fmt::format(",{:.4f}", values[k]);
    csv << "\n";
  }
  util::write_text_file(path, csv.str());
}

}  // namespace ssd::analysis
