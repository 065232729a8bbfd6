#pragma once
// The random policies: which transforms run, with which parameters. The SSD paper's training augmentation
// (photometric distortion, zoom-out, IoU-constrained crop, flip, resize) and the evaluation path (resize).
// Randomness comes only from the generator passed in, so a sample's augmentation is reproducible from its seed.
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

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

/// A data set's sample as float RGB (0..255) with its objects in pixels: what the augmentation works on.
Labeled as_float(const Sample& sample);

/// The network input and targets of an augmented sample (normalised with mean and std), from an image of
/// width x height.
Prepared prepared(const Labeled& augmented, const std::vector<double>& pixel_mean, const std::vector<double>& pixel_std, int width,
                  int height);

/// A training augmentation: a data set's sample in, the network's input (image_size) and its objects out.
class Augmentation {
 public:
  Augmentation(std::vector<double> pixel_mean, std::vector<double> pixel_std) : mean_(std::move(pixel_mean)), std_(std::move(pixel_std)) {}
  virtual ~Augmentation() = default;
  /// image: RGB uint8 from the data set. Returns the normalised network input and its targets.
  Prepared operator()(const Sample& sample, std::mt19937_64& rng) const;
  /// The same up to (and without) normalisation: float RGB image of image_size and its objects.
  virtual Labeled augment(const Sample& sample, std::mt19937_64& rng) const = 0;

 protected:
  std::vector<double> mean_, std_;
};

/// The SSD paper's augmentation (augment.pipeline empty): photometric distortion, zoom-out, IoU-constrained crop,
/// flip and resize, with the augment.*_prob keys.
class TrainAugmentation : public Augmentation {
 public:
  TrainAugmentation(const config::AugmentConfig& config, const std::vector<double>& pixel_mean,
                    const std::vector<double>& pixel_std, const config::ImageSize& image_size, const std::string& resize);
  Labeled augment(const Sample& sample, std::mt19937_64& rng) const override;

 private:
  void photometric(cv::Mat& image, std::mt19937_64& rng) const;

  config::AugmentConfig config_;
  cv::Size image_size_;
  std::string resize_;
};

/// ssd.pytorch's IoU-constrained crop of a W x H image (or zoom-out canvas) with these objects: a rectangle whose IoU
/// with some object reaches a minimum drawn from min_ious and that keeps an object's centre, or none when no such
/// rectangle turns up in `tries` draws (or min_ious is empty).
std::optional<cv::Rect> iou_constrained_crop(const std::vector<Object>& objects, int W, int H, const std::vector<double>& min_ious,
                                             int tries, std::mt19937_64& rng);

/// Evaluation and detection: fitted to image_size under `resize` (model.resize: data/input_fit.h) and normalised; boxes in
/// [0, 1] of the input.
Prepared prepare_for_eval(const Sample& sample, const std::vector<double>& pixel_mean, const std::vector<double>& pixel_std,
                          const config::ImageSize& image_size, const std::string& resize);

/// The model's input size as OpenCV's width x height.
inline cv::Size cv_size(const config::ImageSize& size) { return {static_cast<int>(size.width), static_cast<int>(size.height)}; }

}  // namespace ssd::data
