#pragma once
// The embedded default data set: synthetic scenes of coloured shapes on textured, noisy backgrounds, written
// in the VOCdevkit layout (JPEGImages/, Annotations/, ImageSets/Main/{train,val}.txt). Deterministic by seed.
// Objects range from small (min_size px, the hard case) to large, and may overlap.
#include <cstdint>
#include <string>
#include <vector>

namespace ssd::data {

struct ShapesOptions {
  std::string root;              ///< output folder (created)
  int64_t train_images = 800;
  int64_t val_images = 200;
  int image_size = 256;          ///< square image side in pixels
  int min_objects = 1, max_objects = 6;
  int min_size = 10, max_size = 120;  ///< object side in pixels
  /// Relative frequency of each class, in shapes_classes() order (an imbalanced set: {8, 4, 2, 1}); empty: equal.
  std::vector<double> class_weights;
  uint64_t seed = 0;
};

/// The class names of the shapes data set, in label order.
std::vector<std::string> shapes_classes();

/// Writes the data set. Returns the number of objects written.
int64_t generate_shapes(const ShapesOptions& options);

}  // namespace ssd::data
