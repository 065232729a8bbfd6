#pragma once
// The random policies: which transforms run, with which parameters. The SSD paper's training augmentation
// (photometric distortion, zoom-out, IoU-constrained crop, flip, resize) and the evaluation path (resize).
// Randomness comes only from the generator passed in, so a sample's augmentation is reproducible from its seed.
#include <optional>
#include <random>

#include "ssd/config/config.h"
#include "ssd/data/transforms.h"

namespace ssd::data {

/// A prepared sample: network input and normalised targets.
struct Prepared {
  at::Tensor image;   ///< [3, H, W] normalised, at the model's input size
  at::Tensor boxes;   ///< [N, 4] xyxy in [0, 1]
  at::Tensor labels;  ///< [N] int64
  int width = 0, height = 0;  ///< the original image's size in pixels
};

class TrainAugmentation {
 public:
  TrainAugmentation(const config::AugmentConfig& config, const std::vector<double>& pixel_mean,
                    const std::vector<double>& pixel_std, const config::ImageSize& image_size);
  /// image: RGB uint8 from the data set. Returns the normalised network input and its targets.
  Prepared operator()(const Sample& sample, std::mt19937_64& rng) const;
  /// The same up to (and without) normalisation: float RGB image of image_size and its objects.
  Labeled augment(const Sample& sample, std::mt19937_64& rng) const;

 private:
  void photometric(cv::Mat& image, std::mt19937_64& rng) const;
  /// ssd.pytorch's IoU-constrained crop of a W x H image (or zoom-out canvas) with these objects: a rectangle, or
  /// none when the drawn minimum IoU allows no crop in 50 tries.
  std::optional<cv::Rect> choose_crop(const std::vector<Object>& objects, int W, int H, std::mt19937_64& rng) const;

  config::AugmentConfig config_;
  std::vector<double> mean_, std_;
  cv::Size image_size_;
};

/// Evaluation and detection: resize to image_size and normalise; boxes scaled to [0, 1].
Prepared prepare_for_eval(const Sample& sample, const std::vector<double>& pixel_mean,
                          const std::vector<double>& pixel_std, const config::ImageSize& image_size);

/// The model's input size as OpenCV's width x height.
inline cv::Size cv_size(const config::ImageSize& size) { return {static_cast<int>(size.width), static_cast<int>(size.height)}; }

}  // namespace ssd::data
