#include "ssd/data/augment_pipeline.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <optional>

#include "ssd/data/input_fit.h"

namespace ssd::data {

namespace {

using augment_steps::Warp;

// The fit to the model's input (model.resize) as a map on an image of `size`, the objects moved as fit_to_input moves
// them.
Warp fit_warp(cv::Size size, std::vector<Object>& objects, cv::Size input, const std::string& policy, const cv::Scalar& fill) {
  const auto p = place_in_input(size, input, policy);
  Warp w = augment_steps::identity_warp(input);
  w.map = cv::Matx23d(p.sx, 0, p.ox, 0, p.sy, p.oy);
  w.reveals = policy == "letterbox" && p.resized != input;
  w.cuts = policy == "smallest_side" && p.resized != input;
  w.fill = fill;
  objects = fit_objects(std::move(objects), size, input, policy);
  return w;
}

}  // namespace

PipelineAugmentation::PipelineAugmentation(const config::AugmentConfig& config, const std::vector<double>& pixel_mean,
                                           const std::vector<double>& pixel_std, const config::ImageSize& image_size,
                                           const std::string& resize, augment_steps::OtherSample other)
    : Augmentation(pixel_mean, pixel_std), image_size_(cv_size(image_size)), resize_(resize) {
  const augment_steps::Context context{cv::Scalar(pixel_mean[0], pixel_mean[1], pixel_mean[2]), std::move(other)};
  for (const auto& name : config.pipeline) steps_.push_back(augment_steps::step_registry().get(name).factory(config.params, context));
}

Labeled PipelineAugmentation::augment(const Sample& sample, std::mt19937_64& rng) const {
  Labeled l = as_float(sample);
  // The geometric steps' maps since the image was last made, composed; the image is made from them when a step needs
  // its pixels, when the next map does not compose (augment_steps/warp.h), and at the end with the fit to the input.
  std::optional<Warp> pending;
  cv::Size size = l.image.size();
  auto make_image = [&] {
    if (pending) l.image = augment_steps::warp_image(l.image, *pending);
    pending.reset();
  };
  auto add = [&](const Warp& next) {
    if (pending && !augment_steps::composable(*pending, next)) make_image();
    pending = pending ? augment_steps::compose(*pending, next) : next;
    size = next.size;
  };
  for (const auto& step : steps_) {
    const bool runs = step->p() > 0 && augment_steps::uniform(rng, 0.0, 1.0) < step->p();
    if (!runs) continue;
    if (const auto* warp = dynamic_cast<const augment_steps::WarpStep*>(step.get())) {
      add(warp->plan(size, l.objects, rng));
    } else {
      make_image();
      step->apply(l, rng);
      size = l.image.size();
    }
  }
  add(fit_warp(size, l.objects, image_size_, resize_, cv::Scalar(mean_[0], mean_[1], mean_[2])));
  make_image();
  // (x2 = W scaled by out / W can land a rounding error past the edge)
  const auto W = static_cast<float>(image_size_.width), H = static_cast<float>(image_size_.height);
  for (auto& o : l.objects) o.x1 = std::clamp(o.x1, 0.f, W), o.x2 = std::clamp(o.x2, 0.f, W), o.y1 = std::clamp(o.y1, 0.f, H), o.y2 = std::clamp(o.y2, 0.f, H);
  return l;
}

std::shared_ptr<const Augmentation> make_train_augmentation(const config::AugmentConfig& config, const std::vector<double>& pixel_mean,
                                                            const std::vector<double>& pixel_std, const config::ImageSize& image_size,
                                                            const std::string& resize, augment_steps::OtherSample other) {
  if (config.pipeline.empty()) return std::make_shared<TrainAugmentation>(config, pixel_mean, pixel_std, image_size, resize);
  return std::make_shared<PipelineAugmentation>(config, pixel_mean, pixel_std, image_size, resize, std::move(other));
}

}  // namespace ssd::data
