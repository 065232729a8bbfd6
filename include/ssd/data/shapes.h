#pragma once
// The embedded default data set: synthetic scenes of coloured shapes on textured, noisy backgrounds, written
// in the VOCdevkit layout (JPEGImages/, Annotations/, ImageSets/Main/{train,val}.txt). Deterministic by seed.
// Objects range from small (min_size px, the hard case) to large, and may overlap. Four classes by default; twelve
// (the four and eight more shapes) and wide images (e.g. 1920 x 1080) for the small-objects-in-large-images case.
#include <cstdint>
#include <string>
#include <vector>

namespace ssd::data {

struct ShapesOptions {
  std::string root;              ///< output folder (created)
  int64_t train_images = 800;
  int64_t val_images = 200;
  int image_size = 256;          ///< square image side in pixels
  int width = 0, height = 0;     ///< a non-square image (both set); 0: image_size x image_size
  int classes = 4;               ///< 4 (circle, square, triangle, star) or 12 (shapes_classes(12))
  int min_objects = 1, max_objects = 6;
  int min_size = 10, max_size = 120;  ///< object side in pixels
  /// Relative frequency of each class, in shapes_classes() order (an imbalanced set: {8, 4, 2, 1}); empty: equal.
  std::vector<double> class_weights;
  uint64_t seed = 0;
};

/// The class names of the shapes data set, in label order: the first four, or all twelve.
std::vector<std::string> shapes_classes(int count = 4);

/// Writes the data set. Returns the number of objects written.
int64_t generate_shapes(const ShapesOptions& options);

}  // namespace ssd::data
