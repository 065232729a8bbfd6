#pragma once
// The training boxes as the model sees them: every object's box after the configured resize of its image to the
// model's input (a stretch to model.image_size), or in a training tile (tiling.train), with its class. ssd-data
// analyze's statistics, the default-box coverage and the fitted priors all start from these.
#include <cstdint>
#include <string>
#include <vector>

#include "ssd/config/config.h"
#include "ssd/data/dataset.h"

namespace ssd::analysis {

/// One object's box in input pixels.
struct InputBox {
  size_t image = 0;   ///< index into the data set
  int64_t label = 0;  ///< 1-based class
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  double width() const { return x2 - x1; }
  double height() const { return y2 - y1; }
  /// The side of the square of the same area: what "a 10-pixel object" means.
  double side() const;
};

struct BoxShapes {
  config::ImageSize input_size;
  size_t images = 0;
  size_t unreadable = 0;  ///< images without a size in their annotation that could not be read either (left out)
  std::vector<std::string> classes;
  std::vector<InputBox> boxes;
};

/// The boxes of every image of `dataset` fitted to input_size as model.resize (`resize`, data/input_fit.h) fits the
/// image; with tile_scale > 0 (tiled training,
/// tiling.scale) scaled by it instead, each moved into the input_size tile of the grid it starts in and, where it would
/// cross that tile's far edge, into a tile that ends where it ends (a training tile drawn around an object holds it
/// whole); a box longer than a tile is cut to one. An
/// annotation without the image's size has its image read for it.
BoxShapes collect_box_shapes(const data::DetectionDataset& dataset, const config::ImageSize& input_size, double tile_scale = 0,
                             const std::string& resize = "stretch");

/// The q-quantile (0..1, linear between order statistics) of `values`; NaN when empty.
double quantile(std::vector<double> values, double q);

/// boxes.csv (one row per box: image id, class, x1, y1, x2, y2, side, aspect) in `dir`; `extra` adds named columns
/// (one value per box), e.g. each box's best IoU with the default boxes.
void write_boxes_csv(const std::string& path, const BoxShapes& shapes, const data::DetectionDataset& dataset,
                     const std::vector<std::pair<std::string, std::vector<double>>>& extra = {});

}  // namespace ssd::analysis
