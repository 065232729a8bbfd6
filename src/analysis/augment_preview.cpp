#include "ssd/analysis/augment_preview.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

#include "ssd/builder/data.h"
#include "ssd/builder/model.h"
#include "ssd/util/error.h"
#include "ssd/util/image_file.h"

namespace ssd::analysis {

namespace {

// A colour per class, spread around the hue circle (BGR for drawing).
cv::Scalar class_colour(int64_t label) {
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(static_cast<double>((label * 47) % 180), 220, 255)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const auto c = bgr.at<cv::Vec3b>(0, 0);
  return {static_cast<double>(c[0]), static_cast<double>(c[1]), static_cast<double>(c[2])};
}

// The augmented sample as 8-bit BGR with its boxes and class names.
cv::Mat drawn(const data::Labeled& sample, const std::vector<std::string>& classes) {
  cv::Mat bgr;
  sample.image.convertTo(bgr, CV_8UC3);
  cv::cvtColor(bgr, bgr, cv::COLOR_RGB2BGR);
  for (const auto& o : sample.objects) {
    const auto colour = class_colour(o.label);
    const cv::Point p1(static_cast<int>(std::lround(o.x1)), static_cast<int>(std::lround(o.y1)));
    const cv::Point p2(static_cast<int>(std::lround(o.x2)), static_cast<int>(std::lround(o.y2)));
    cv::rectangle(bgr, p1, p2, colour, 1, cv::LINE_AA);
    const auto& name = o.label >= 1 && static_cast<size_t>(o.label) <= classes.size() ? classes[static_cast<size_t>(o.label - 1)]
                                                                                         : std::to_string(o.label);
    int baseline = 0;
    const auto size = cv::getTextSize(name, cv::FONT_HERSHEY_SIMPLEX, 0.35, 1, &baseline);
    const int top = std::max(0, p1.y - size.height - 3);
    cv::rectangle(bgr, {p1.x, top}, {p1.x + size.width + 2, top + size.height + 3}, colour, cv::FILLED);
    cv::putText(bgr, name, {p1.x + 1, top + size.height + 1}, cv::FONT_HERSHEY_SIMPLEX, 0.35, {0, 0, 0}, 1, cv::LINE_AA);
  }
  return bgr;
}

}  // namespace

Preview preview_augmentation(const config::Config& config, const std::string& out_png, const PreviewOptions& options) {
  const auto dataset = builder::train_set(config);
  if (dataset->size() == 0) throw DataError("ssd-data preview: the training set (data.train.roots) holds no image");
  const auto model = builder::model(config);
  const auto view = builder::train_view(config, *model, *dataset);
  // Which images: a seeded shuffle of the training set, repeated when it holds fewer than asked.
  std::vector<size_t> order(dataset->size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 pick(options.seed);
  std::shuffle(order.begin(), order.end(), pick);
  const auto size = data::cv_size(model->image_size());
  const int columns = static_cast<int>(std::max<int64_t>(1, std::min(options.columns, options.samples)));
  const int rows = static_cast<int>((options.samples + columns - 1) / columns);
  constexpr int kGap = 4;
  cv::Mat grid(rows * (size.height + kGap) + kGap, columns * (size.width + kGap) + kGap, CV_8UC3, cv::Scalar(255, 255, 255));
  Preview preview;
  for (int64_t i = 0; i < options.samples; ++i) {
    std::mt19937_64 rng(options.seed * 1000003ULL + static_cast<uint64_t>(i));  // a sample's draws: its own generator, as in training
    const auto sample = view(dataset->load(order[static_cast<size_t>(i) % order.size()]), rng);
    const int r = static_cast<int>(i) / columns, c = static_cast<int>(i) % columns;
    drawn(sample, dataset->classes()).copyTo(grid(cv::Rect(kGap + c * (size.width + kGap), kGap + r * (size.height + kGap), size.width, size.height)));
    preview.boxes += static_cast<int64_t>(sample.objects.size());
  }
  std::filesystem::path path(out_png);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  util::write_image_file(out_png, grid);
  preview.path = out_png;
  preview.samples = options.samples;
  return preview;
}

}  // namespace ssd::analysis
