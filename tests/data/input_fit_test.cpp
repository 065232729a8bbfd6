// model.resize: each policy puts an image's pixels and its boxes in the same place of the input (a white rectangle's
// box found again in the fitted pixels), pads with the fill or cuts as it says, and a box in the input goes back to
// the image's pixels exactly (what evaluation and detection do with the model's boxes).
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

#include "ssd/data/augment.h"
#include "ssd/data/input_fit.h"
#include "test_data.h"

namespace ssd::data {
namespace {

Labeled rectangle_on_gray(cv::Size size, const cv::Rect& r) { return test::white_rectangle(size, r, 40); }

cv::Rect bright(const cv::Mat& image) {
  cv::Mat gray, mask;
  cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
  cv::threshold(gray, mask, 150, 255, cv::THRESH_BINARY);
  mask.convertTo(mask, CV_8U);
  return cv::boundingRect(mask);
}

TEST(InputFit, PlacementsOfEachPolicy) {
  // A 200 x 100 image into a 100 x 100 input.
  auto p = place_in_input({200, 100}, {100, 100}, "stretch");
  EXPECT_EQ(p.resized, cv::Size(100, 100));
  EXPECT_DOUBLE_EQ(p.sx, 0.5);
  EXPECT_DOUBLE_EQ(p.sy, 1.0);
  p = place_in_input({200, 100}, {100, 100}, "letterbox");  // the longer side fits; 25 px of padding above and below
  EXPECT_EQ(p.resized, cv::Size(100, 50));
  EXPECT_DOUBLE_EQ(p.ox, 0);
  EXPECT_DOUBLE_EQ(p.oy, 25);
  p = place_in_input({200, 100}, {100, 100}, "smallest_side");  // the shorter side fits; 50 px cut each side
  EXPECT_EQ(p.resized, cv::Size(200, 100));
  EXPECT_DOUBLE_EQ(p.ox, -50);
  EXPECT_DOUBLE_EQ(p.oy, 0);
  EXPECT_DOUBLE_EQ(p.sx, 1.0);
  // The side that decides is the input's exactly.
  p = place_in_input({333, 250}, {96, 64}, "letterbox");
  EXPECT_EQ(p.resized.width, 85);
  EXPECT_EQ(p.resized.height, 64);
}

TEST(InputFit, TheBoxStaysOnTheObjectsPixelsAndGoesBack) {
  const cv::Size input(96, 64);
  for (const std::string& policy : resize_policies()) {
    for (const cv::Size size : {cv::Size(160, 120), cv::Size(90, 200), cv::Size(300, 300), cv::Size(64, 40)}) {
      // An object in the middle, whole in what smallest_side keeps.
      const cv::Rect r(size.width * 2 / 5, size.height * 2 / 5, size.width / 5, size.height / 5);
      const auto fitted = fit_to_input(rectangle_on_gray(size, r), input, policy, cv::Scalar(0, 0, 0));
      ASSERT_EQ(fitted.image.size(), input) << policy;
      ASSERT_EQ(fitted.objects.size(), 1u) << policy << " " << size;
      const auto& o = fitted.objects[0];
      const auto px = bright(fitted.image);
      EXPECT_NEAR(o.x1, px.x, 1.0) << policy << " " << size;
      EXPECT_NEAR(o.y1, px.y, 1.0) << policy << " " << size;
      EXPECT_NEAR(o.x2, px.x + px.width, 1.0) << policy << " " << size;
      EXPECT_NEAR(o.y2, px.y + px.height, 1.0) << policy << " " << size;
      const auto p = place_in_input(size, input, policy);
      if (policy == "letterbox" && p.resized != input) {
        // The padding is the fill (black), the image's gray is inside only.
        cv::Mat gray;
        cv::cvtColor(fitted.image, gray, cv::COLOR_RGB2GRAY);
        EXPECT_EQ(gray.at<float>(0, 0), 0.f) << size;
        EXPECT_EQ(gray.at<float>(input.height - 1, input.width - 1), 0.f) << size;
      }
      if (policy == "smallest_side") {
        cv::Mat gray;
        cv::cvtColor(fitted.image, gray, cv::COLOR_RGB2GRAY);
        double least = 0;
        cv::minMaxLoc(gray, &least);
        EXPECT_GE(least, 39.0) << size << ": nothing padded";
      }
      // The box in the input's [0, 1], back to the image's pixels.
      const auto boxes = at::tensor({o.x1 / input.width, o.y1 / input.height, o.x2 / input.width, o.y2 / input.height}).reshape({1, 4});
      const auto back = input_boxes_to_image(boxes, size, input, policy);
      const float* b = back.data_ptr<float>();
      EXPECT_NEAR(b[0] * size.width, r.x, 1e-3 * size.width) << policy << " " << size;
      EXPECT_NEAR(b[1] * size.height, r.y, 1e-3 * size.height) << policy << " " << size;
      EXPECT_NEAR(b[2] * size.width, r.x + r.width, 1e-3 * size.width) << policy << " " << size;
      EXPECT_NEAR(b[3] * size.height, r.y + r.height, 1e-3 * size.height) << policy << " " << size;
    }
  }
}

// Evaluation's preparation and both training augmentations end at the input under the model's policy: the paper's
// augmentation with nothing drawn (every probability 0) gives what evaluation gives.
TEST(InputFit, TrainingAndEvaluationFitAlike) {
  Sample s;
  const auto l = rectangle_on_gray({200, 100}, cv::Rect(60, 30, 40, 30));
  l.image.convertTo(s.image, CV_8UC3);
  s.annotation.objects = l.objects;
  config::AugmentConfig none;
  none.photometric_prob = none.expand_prob = none.crop_prob = none.flip_prob = 0;
  const std::vector<double> mean = {0, 0, 0}, std = {1, 1, 1};
  for (const std::string& policy : resize_policies()) {
    const auto eval = prepare_for_eval(s, mean, std, config::ImageSize(96, 64), policy);
    std::mt19937_64 rng(1);
    const auto train = TrainAugmentation(none, mean, std, config::ImageSize(96, 64), policy)(s, rng);
    // The paper's path resamples with weights in 1/32 pixel (data/transforms.h): alike but for the edges' rounding.
    EXPECT_LT((eval.image - train.image).abs().mean().item<double>(), 0.5) << policy;
    EXPECT_TRUE(at::allclose(eval.boxes, train.boxes, 0, 1e-5)) << policy;
  }
}

}  // namespace
}  // namespace ssd::data
