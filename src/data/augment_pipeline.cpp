#include "ssd/data/augment_pipeline.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "ssd/data/input_fit.h"

namespace ssd::data {

PipelineAugmentation::PipelineAugmentation(const config::AugmentConfig& config, const std::vector<double>& pixel_mean,
                                           const std::vector<double>& pixel_std, const config::ImageSize& image_size,
                                           const std::string& resize, augment_steps::OtherSample other)
    : Augmentation(pixel_mean, pixel_std), image_size_(cv_size(image_size)), resize_(resize) {
  const augment_steps::Context context{cv::Scalar(pixel_mean[0], pixel_mean[1], pixel_mean[2]), std::move(other)};
  for (const auto& name : config.pipeline) steps_.push_back(augment_steps::step_registry().get(name).factory(config.params, context));
}

Labeled PipelineAugmentation::augment(const Sample& sample, std::mt19937_64& rng) const {
  Labeled l = as_float(sample);
  for (const auto& step : steps_) {
    const bool runs = step->p() > 0 && augment_steps::uniform(rng, 0.0, 1.0) < step->p();
    if (runs) step->apply(l, rng);
  }
  Labeled out = fit_to_input(l, image_size_, resize_, cv::Scalar(mean_[0], mean_[1], mean_[2]));
  // (x2 = W scaled by out / W can land a rounding error past the edge)
  const auto W = static_cast<float>(image_size_.width), H = static_cast<float>(image_size_.height);
  for (auto& o : out.objects) o.x1 = std::clamp(o.x1, 0.f, W), o.x2 = std::clamp(o.x2, 0.f, W), o.y1 = std::clamp(o.y1, 0.f, H), o.y2 = std::clamp(o.y2, 0.f, H);
  return out;
}

std::shared_ptr<const Augmentation> make_train_augmentation(const config::AugmentConfig& config, const std::vector<double>& pixel_mean,
                                                            const std::vector<double>& pixel_std, const config::ImageSize& image_size,
                                                            const std::string& resize, augment_steps::OtherSample other) {
  if (config.pipeline.empty()) return std::make_shared<TrainAugmentation>(config, pixel_mean, pixel_std, image_size, resize);
  return std::make_shared<PipelineAugmentation>(config, pixel_mean, pixel_std, image_size, resize, std::move(other));
}

}  // namespace ssd::data
