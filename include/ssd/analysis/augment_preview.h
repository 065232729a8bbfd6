#pragma once
// ssd-data preview: what the model sees. Training samples through the configured tile and augmentation
// (builder::train_view), each drawn with its boxes and class names, in one grid image.
#include <cstdint>
#include <string>

#include "ssd/config/config.h"

namespace ssd::analysis {

struct PreviewOptions {
  int64_t samples = 16;  ///< images in the grid
  int64_t columns = 4;
  uint64_t seed = 0;     ///< which images and which draws: the same seed gives the same grid
};

struct Preview {
  std::string path;     ///< the grid (PNG)
  int64_t samples = 0;
  int64_t boxes = 0;    ///< boxes drawn over all samples
};

/// Writes the grid of `options.samples` augmented training samples to `out_png`. DataError when the training set is
/// empty; ConfigError for a bad augmentation.
Preview preview_augmentation(const config::Config& config, const std::string& out_png, const PreviewOptions& options);

}  // namespace ssd::analysis
