#include "ssd/data/augment.h"

#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>

#include "ssd/data/input_fit.h"
#include "ssd/ops/box_overlap.h"

namespace ssd::data {

namespace {

double uniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
bool chance(std::mt19937_64& rng, double p) { return p > 0 && uniform(rng, 0.0, 1.0) < p; }

Prepared finish(const Labeled& l, const std::vector<double>& mean, const std::vector<double>& std) {
  auto [boxes, labels] = normalized_targets(l.objects, l.image.cols, l.image.rows);
  return {to_normalized_tensor(l.image, mean, std), boxes, labels};
}

}  // namespace

Labeled as_float(const Sample& sample) {
  Labeled l;
  sample.image.convertTo(l.image, CV_32FC3);
  l.objects = sample.annotation.objects;
  return l;
}

TrainAugmentation::TrainAugmentation(const config::AugmentConfig& config, const std::vector<double>& pixel_mean,
                                     const std::vector<double>& pixel_std, const config::ImageSize& image_size, const std::string& resize)
    : Augmentation(pixel_mean, pixel_std), config_(config), image_size_(cv_size(image_size)), resize_(resize) {}

void TrainAugmentation::photometric(cv::Mat& image, std::mt19937_64& rng) const {
  const double p = config_.photometric_prob;
  // ssd.pytorch's PhotometricDistort: brightness, then contrast either first or last around the HSV steps.
  if (chance(rng, p)) adjust_brightness(image, static_cast<float>(uniform(rng, -32, 32)));
  const bool contrast_first = chance(rng, 0.5);
  auto contrast = [&] {
    if (chance(rng, p)) adjust_contrast(image, static_cast<float>(uniform(rng, 0.5, 1.5)));
  };
  if (contrast_first) contrast();
  cv::max(image, 0.0, image);  // HSV conversion needs non-negative values
  // Drawn in the order of the two steps; applied in one HSV round trip when either is on.
  float saturation = 1.f, hue = 0.f;
  const bool saturate = chance(rng, p);
  if (saturate) saturation = static_cast<float>(uniform(rng, 0.5, 1.5));
  const bool rotate_hue = chance(rng, p);
  if (rotate_hue) hue = static_cast<float>(uniform(rng, -18, 18));
  if (saturate || rotate_hue) adjust_saturation_and_hue(image, saturation, hue);
  if (!contrast_first) contrast();
  if (chance(rng, p)) {
    std::array<int, 3> order = {0, 1, 2};
    std::shuffle(order.begin(), order.end(), rng);
    permute_channels(image, order);
  }
  cv::min(cv::max(image, 0.0), 255.0, image);
}

std::optional<cv::Rect> iou_constrained_crop(const std::vector<Object>& objects, int W, int H, const std::vector<double>& min_ious,
                                             int tries, std::mt19937_64& rng) {
  if (min_ious.empty()) return std::nullopt;
  const double min_iou = min_ious[std::uniform_int_distribution<size_t>(0, min_ious.size() - 1)(rng)];
  for (int trial = 0; trial < tries; ++trial) {  // as ssd.pytorch: give up after 50 tries and keep the image
    const double w = uniform(rng, 0.3 * W, W), h = uniform(rng, 0.3 * H, H);
    if (h / w < 0.5 || h / w > 2.0) continue;
    const int left = static_cast<int>(uniform(rng, 0, W - w)), top = static_cast<int>(uniform(rng, 0, H - h));
    const cv::Rect rect(left, top, std::max(1, static_cast<int>(w)), std::max(1, static_cast<int>(h)));
    if (!objects.empty()) {
      const ops::Corners<float> crop{static_cast<float>(rect.x), static_cast<float>(rect.y), static_cast<float>(rect.x + rect.width),
                                     static_cast<float>(rect.y + rect.height)};
      float best = 0.f;
      for (const auto& o : objects) best = std::max(best, ops::iou(crop, ops::corners_of<float>(o)));
      if (best < min_iou) continue;
      if (crop_objects(objects, rect).empty()) continue;  // keep at least one object centre inside
    }
    return rect;
  }
  return std::nullopt;
}

Labeled TrainAugmentation::augment(const Sample& sample, std::mt19937_64& rng) const {
  Labeled l = as_float(sample);
  photometric(l.image, rng);
  // Zoom-out, crop and flip are only described; resample() then makes the output from the image in one pass.
  cv::Size canvas(l.image.cols, l.image.rows);
  int left = 0, top = 0;
  const bool expanded = chance(rng, config_.expand_prob);
  std::vector<Object> on_canvas = l.objects;
  if (expanded) {
    const double ratio = uniform(rng, 1.0, config_.expand_max_ratio);
    canvas = {static_cast<int>(l.image.cols * ratio), static_cast<int>(l.image.rows * ratio)};
    left = static_cast<int>(uniform(rng, 0, canvas.width - l.image.cols));
    top = static_cast<int>(uniform(rng, 0, canvas.height - l.image.rows));
    for (auto& o : on_canvas) {
      o.x1 += left, o.x2 += left;
      o.y1 += top, o.y2 += top;
    }
  }
  std::optional<cv::Rect> rect;
  if (chance(rng, config_.crop_prob)) rect = iou_constrained_crop(on_canvas, canvas.width, canvas.height, config_.crop_min_ious, 50, rng);
  Geometry g;
  g.left = left, g.top = top;
  g.view = rect ? *rect : cv::Rect(cv::Point(0, 0), canvas);
  g.flip = chance(rng, config_.flip_prob);
  g.fill = cv::Scalar(mean_[0], mean_[1], mean_[2]);
  auto objects = rect ? crop_objects(on_canvas, *rect) : on_canvas;
  if (resize_ == "stretch") return resample(l.image, std::move(objects), g, image_size_);
  // The view resampled to the size the policy scales it to, then padded or cut to the input.
  const auto placement = place_in_input(g.view.size(), image_size_, resize_);
  return fit_to_input(resample(l.image, std::move(objects), g, placement.resized), image_size_, resize_, g.fill);
}

Prepared prepared(const Labeled& augmented, const std::vector<double>& mean, const std::vector<double>& std, int width, int height) {
  Prepared p = finish(augmented, mean, std);
  p.width = width, p.height = height;
  return p;
}

Prepared Augmentation::operator()(const Sample& sample, std::mt19937_64& rng) const {
  return prepared(augment(sample, rng), mean_, std_, sample.image.cols, sample.image.rows);
}

Prepared prepare_for_eval(const Sample& sample, const std::vector<double>& mean, const std::vector<double>& std,
                          const config::ImageSize& image_size, const std::string& resize) {
  Prepared p = finish(fit_to_input(as_float(sample), cv_size(image_size), resize, cv::Scalar(mean[0], mean[1], mean[2])), mean, std);
  p.width = sample.image.cols, p.height = sample.image.rows;
  return p;
}

}  // namespace ssd::data
