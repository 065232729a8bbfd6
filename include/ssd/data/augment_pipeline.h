#pragma once
// The training augmentation that augment.pipeline describes: its steps (data/augment_steps/step.h) in the listed
// order, each run with its probability, then the fit to the model's input (model.resize: data/input_fit.h). make_train_augmentation picks it, or
// the SSD paper's augmentation (data/augment.h) when the pipeline is empty.
#include <memory>
#include <string>
#include <vector>

#include "ssd/data/augment.h"
#include "ssd/data/augment_steps/step.h"

namespace ssd::data {

class PipelineAugmentation : public Augmentation {
 public:
  /// other: where the steps that mix images (mosaic) draw their other samples from (empty: they do nothing).
  PipelineAugmentation(const config::AugmentConfig& config, const std::vector<double>& pixel_mean, const std::vector<double>& pixel_std,
                       const config::ImageSize& image_size, const std::string& resize, augment_steps::OtherSample other = {});
  Labeled augment(const Sample& sample, std::mt19937_64& rng) const override;

 private:
  std::vector<std::shared_ptr<const augment_steps::Step>> steps_;
  cv::Size image_size_;
  std::string resize_;
};

/// The training augmentation of `config`: the pipeline's steps, or the SSD paper's when augment.pipeline is empty.
std::shared_ptr<const Augmentation> make_train_augmentation(const config::AugmentConfig& config, const std::vector<double>& pixel_mean,
                                                            const std::vector<double>& pixel_std, const config::ImageSize& image_size,
                                                            const std::string& resize, augment_steps::OtherSample other = {});

}  // namespace ssd::data
