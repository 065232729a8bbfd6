// The augmentation steps of augment.pipeline: every geometric step moves an object's box exactly as it moves the
// object's pixels (a white rectangle on black, its pixels found again after the step), the visibility rule for boxes a
// border cuts, photometric steps leave boxes alone and pixels in 0..255, the pipeline is reproducible from a seed, and
// the config refuses unknown or repeated steps by name.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>
#include <random>

#include "ssd/builder/data.h"
#include "ssd/builder/model.h"
#include "ssd/config/load.h"
#include "ssd/data/augment_pipeline.h"
#include "ssd/data/augment_steps/step.h"
#include "ssd/data/input_fit.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::data {
namespace {

using augment_steps::step_registry;

constexpr int kW = 160, kH = 120;

// A white rectangle (the object) on black.
Labeled rectangle_sample(const cv::Rect& r) { return test::white_rectangle({kW, kH}, r, 0); }

// The box around the pixels brighter than half, as continuous xyxy (a pixel i covers [i, i + 1]); empty when none.
std::optional<cv::Rect2f> bright_box(const cv::Mat& image) {
  cv::Mat gray, mask;
  cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
  cv::threshold(gray, mask, 127.5, 255, cv::THRESH_BINARY);
  mask.convertTo(mask, CV_8U);
  if (cv::countNonZero(mask) == 0) return std::nullopt;
  const auto r = cv::boundingRect(mask);
  return cv::Rect2f(static_cast<float>(r.x), static_cast<float>(r.y), static_cast<float>(r.width), static_cast<float>(r.height));
}

config::Config with_augment(const std::string& yaml) { return config::load_config_text("augment:\n" + yaml, "test", {}); }

std::unique_ptr<augment_steps::Step> make_step(const config::Config& c, const std::string& name) {
  return step_registry().get(name).factory(c.augment.params, augment_steps::Context{cv::Scalar(0, 0, 0)});
}

// Each geometric step, many draws: the box it returns is the box of the object's pixels, to a pixel (resampling
// blurs an edge by up to one pixel; a rotated rectangle's pixels fill the re-fitted box's corners).
TEST(AugmentSteps, EveryGeometricStepMovesTheBoxWithTheObjectsPixels) {
  const auto c = with_augment(
      "  pipeline: [hflip, vflip, iou_crop, random_crop, random_sized_crop, center_crop, zoom_out, affine]\n"
      "  zoom_out: {fill: [0, 0, 0]}\n"
      "  affine: {degrees: 30, shear: 8, translate: 0.1, scale: [0.7, 1.3], min_visibility: 0.0, fill: [0, 0, 0]}\n"
      "  random_sized_crop: {min_visibility: 0.0}\n  center_crop: {min_visibility: 0.0}\n  random_crop: {min_visibility: 0.0}\n");
  for (const auto& name : c.augment.pipeline) {
    const auto step = make_step(c, name);
    int compared = 0;
    for (uint64_t seed = 0; seed < 40; ++seed) {
      std::mt19937_64 rng(seed);
      auto s = rectangle_sample(cv::Rect(40, 30, 50, 36));
      step->apply(s, rng);
      const auto pixels = bright_box(s.image);
      ASSERT_EQ(s.objects.empty(), !pixels.has_value()) << name << " seed " << seed;
      if (s.objects.empty()) continue;
      const auto& o = s.objects.front();
      const float tolerance = name == "affine" ? 1.5f : 1.0f;
      EXPECT_NEAR(o.x1, pixels->x, tolerance) << name << " seed " << seed;
      EXPECT_NEAR(o.y1, pixels->y, tolerance) << name << " seed " << seed;
      EXPECT_NEAR(o.x2, pixels->x + pixels->width, tolerance) << name << " seed " << seed;
      EXPECT_NEAR(o.y2, pixels->y + pixels->height, tolerance) << name << " seed " << seed;
      ++compared;
    }
    EXPECT_GT(compared, 20) << name;
  }
}

// Mosaic: this image and three drawn ones (each with a white rectangle) meet at a drawn point; every box returned is
// white inside, and no white pixel lies outside the boxes: each box is where its object's pixels went.
TEST(AugmentSteps, MosaicPlacesEveryImagesBoxesWithItsPixels) {
  const auto c = with_augment("  pipeline: [mosaic]\n  mosaic: {p: 1.0, min_visibility: 0.0}\n");
  int drawn = 0;
  const augment_steps::Context context{cv::Scalar(0, 0, 0), [&](std::mt19937_64&) {
                                         ++drawn;
                                         return rectangle_sample(cv::Rect(20 + 10 * (drawn % 4), 50, 60, 40));
                                       }};
  const auto step = step_registry().get("mosaic").factory(c.augment.params, context);
  size_t boxes = 0;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    std::mt19937_64 rng(seed);
    auto s = rectangle_sample(cv::Rect(40, 30, 50, 36));
    step->apply(s, rng);
    ASSERT_EQ(s.image.size(), cv::Size(kW, kH));
    cv::Mat gray, outside;
    cv::cvtColor(s.image, gray, cv::COLOR_RGB2GRAY);
    outside = gray > 127.5;
    for (const auto& o : s.objects) {
      const cv::Rect inner(cv::Point(static_cast<int>(std::ceil(o.x1)), static_cast<int>(std::ceil(o.y1))),
                           cv::Point(static_cast<int>(std::floor(o.x2)), static_cast<int>(std::floor(o.y2))));
      ASSERT_GT(inner.area(), 0) << "seed " << seed;
      EXPECT_GT(cv::mean(gray(inner))[0], 254.0) << "seed " << seed;  // white inside
      outside(inner).setTo(0);
    }
    EXPECT_EQ(cv::countNonZero(outside), 0) << "seed " << seed;  // and nothing white elsewhere
    boxes += s.objects.size();
  }
  EXPECT_EQ(drawn, 3 * 30);
  EXPECT_GT(boxes, 30u);  // more than one object per mosaic: the others' objects are there too
  // Without a data set to draw from (Context::other empty), mosaic leaves the sample alone.
  std::mt19937_64 rng(1);
  auto alone = rectangle_sample(cv::Rect(40, 30, 50, 36));
  step_registry().get("mosaic").factory(c.augment.params, augment_steps::Context{})->apply(alone, rng);
  EXPECT_EQ(alone.objects.size(), 1u);
  EXPECT_FLOAT_EQ(alone.objects[0].x1, 40.f);
}

// Copy-paste: objects of another image (gray rectangles) pasted into this one (a white rectangle); each pasted box
// holds its object's pixels, pasted patches do not overlap, and this image's object keeps min_visibility of its area
// uncovered: with 1.0 it is never covered.
TEST(AugmentSteps, CopyPastePastesObjectsWithTheirBoxes) {
  for (const double min_visibility : {1.0, 0.5}) {
    const auto c = with_augment("  pipeline: [copy_paste]\n  copy_paste: {p: 1.0, objects: 3, scale: [0.6, 1.4], min_visibility: " +
                                std::to_string(min_visibility) + "}\n");
    const augment_steps::Context context{cv::Scalar(0, 0, 0), [](std::mt19937_64&) {
                                           Labeled l;
                                           l.image = cv::Mat(240, 320, CV_32FC3, cv::Scalar(0, 0, 0));
                                           // Twice this image's size: pasted at half their size times the factor.
                                           for (const auto& r : {cv::Rect(10, 10, 40, 30), cv::Rect(100, 120, 60, 50), cv::Rect(200, 20, 36, 80)}) {
                                             cv::rectangle(l.image, r, cv::Scalar(128, 128, 128), cv::FILLED);
                                             Object o;
                                             o.x1 = static_cast<float>(r.x), o.y1 = static_cast<float>(r.y);
                                             o.x2 = static_cast<float>(r.x + r.width), o.y2 = static_cast<float>(r.y + r.height);
                                             o.label = 2;
                                             l.objects.push_back(o);
                                           }
                                           return l;
                                         }};
    const auto step = step_registry().get("copy_paste").factory(c.augment.params, context);
    size_t pasted = 0;
    double least_visible = 1.0;
    for (uint64_t seed = 0; seed < 30; ++seed) {
      std::mt19937_64 rng(seed);
      const cv::Rect own(40, 30, 50, 36);
      auto s = rectangle_sample(own);
      step->apply(s, rng);
      ASSERT_EQ(s.image.size(), cv::Size(kW, kH));
      ASSERT_GE(s.objects.size(), 1u);
      ASSERT_EQ(s.objects[0].label, 1);  // this image's object stays first, its box unchanged
      EXPECT_FLOAT_EQ(s.objects[0].x1, 40.f);
      cv::Mat gray;
      cv::cvtColor(s.image, gray, cv::COLOR_RGB2GRAY);
      cv::Mat covered = cv::Mat::zeros(kH, kW, CV_8U);
      for (size_t k = 1; k < s.objects.size(); ++k) {
        const auto& o = s.objects[k];
        EXPECT_EQ(o.label, 2);
        // The box is its object's pixels: gray inside, and no other patch under it.
        const cv::Rect inner(cv::Point(static_cast<int>(std::ceil(o.x1)) + 1, static_cast<int>(std::ceil(o.y1)) + 1),
                             cv::Point(static_cast<int>(std::floor(o.x2)) - 1, static_cast<int>(std::floor(o.y2)) - 1));
        if (inner.area() > 0) {
          EXPECT_NEAR(cv::mean(gray(inner))[0], 128.0, 1.0) << "seed " << seed;
        }
        const cv::Rect whole(cv::Point(static_cast<int>(std::floor(o.x1)), static_cast<int>(std::floor(o.y1))),
                             cv::Point(static_cast<int>(std::ceil(o.x2)), static_cast<int>(std::ceil(o.y2))));
        EXPECT_EQ(cv::countNonZero(covered(whole)), 0) << "seed " << seed << ": pasted patches overlap";
        covered(whole).setTo(1);
      }
      pasted += s.objects.size() - 1;
      least_visible = std::min(least_visible, 1.0 - cv::countNonZero(covered(own)) / static_cast<double>(own.area()));
      // What is not pasted over is this image as it was: white inside its box.
      cv::Mat mask = covered(own) == 0;
      EXPECT_NEAR(cv::mean(gray(own), mask)[0], 255.0, 1e-3) << "seed " << seed;
    }
    EXPECT_GT(pasted, 30u) << min_visibility;
    EXPECT_GE(least_visible, min_visibility - 1e-9) << min_visibility;
    if (min_visibility < 1) {
      EXPECT_LT(least_visible, 0.98);  // covering is allowed, and happens
    }
  }
}

// The images mosaic and copy_paste draw come through the training view: one that cannot be read is counted in the data
// set's skip report, like a training sample, and another is drawn in its place.
TEST(AugmentSteps, AnUnreadableImageDrawnForMixingIsCountedAndPassedOver) {
  const auto root = test::make_shapes(test::temp_dir("mixing_skip"), 12, 2);
  auto c = test::tiny_config(root, "");
  c.augment = with_augment("  pipeline: [mosaic, copy_paste]\n  mosaic: {p: 1.0}\n  copy_paste: {p: 1.0}\n").augment;
  const DetectionDataset ds(test::dataset_options(c.data.train, c.data.classes));
  for (size_t i = 1; i < ds.size(); i += 3) std::ofstream(ds.annotation(i).image_path, std::ios::trunc) << "not a JPEG";
  const auto model = builder::model(c);
  const auto view = builder::train_view(c, *model, ds);
  const auto sample = ds.load(0);
  for (uint64_t seed = 0; seed < 40; ++seed) {  // 160 and more draws: every unreadable file drawn
    std::mt19937_64 rng(seed);
    EXPECT_EQ(view(sample, rng).image.size(), data::cv_size(c.model.image_size));
  }
  EXPECT_EQ(ds.report().skipped(), 4u);  // the four unreadable files, each once
}

// Flips are exact and their own inverse.
TEST(AugmentSteps, FlipsAreExact) {
  const auto c = with_augment("  pipeline: [hflip, vflip]\n");
  std::mt19937_64 rng(1);
  auto s = rectangle_sample(cv::Rect(10, 20, 30, 40));
  make_step(c, "hflip")->apply(s, rng);
  EXPECT_FLOAT_EQ(s.objects[0].x1, kW - 40.f);
  EXPECT_FLOAT_EQ(s.objects[0].x2, kW - 10.f);
  make_step(c, "vflip")->apply(s, rng);
  EXPECT_FLOAT_EQ(s.objects[0].y1, kH - 60.f);
  EXPECT_FLOAT_EQ(s.objects[0].y2, kH - 20.f);
  make_step(c, "hflip")->apply(s, rng);
  make_step(c, "vflip")->apply(s, rng);
  EXPECT_FLOAT_EQ(s.objects[0].x1, 10.f);
  EXPECT_FLOAT_EQ(s.objects[0].y2, 60.f);
}

// A box that a border cuts keeps its inside part when at least min_visibility of its area is inside.
TEST(AugmentSteps, ABoxCutByTheBorderFollowsTheVisibilityRule) {
  Object half;  // 20 x 10, half of it left of the image
  half.x1 = -10, half.y1 = 0, half.x2 = 10, half.y2 = 10, half.label = 2;
  const auto kept = augment_steps::clip_to_image({half}, 100, 100, 0.4);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_FLOAT_EQ(kept[0].x1, 0.f);
  EXPECT_FLOAT_EQ(kept[0].x2, 10.f);
  EXPECT_EQ(kept[0].label, 2);
  EXPECT_TRUE(augment_steps::clip_to_image({half}, 100, 100, 0.6).empty());
  Object outside = half;
  outside.x1 = -30, outside.x2 = -5;
  EXPECT_TRUE(augment_steps::clip_to_image({outside}, 100, 100, 0.0).empty());
}

// Photometric steps change pixels only, within 0..255; to_gray gives three equal channels.
TEST(AugmentSteps, PhotometricStepsLeaveTheBoxesAlone) {
  const std::vector<std::string> names = {"brightness", "contrast", "saturation", "hue", "channel_shuffle", "gaussian_blur",
                                          "motion_blur", "gaussian_noise", "clahe", "to_gray", "jpeg"};
  config::Config c;
  for (const auto& name : names) {
    const auto step = make_step(c, name);
    bool changed = false;  // in at least one draw (channel_shuffle may draw the identity)
    for (uint64_t seed = 0; seed < 5; ++seed) {
      std::mt19937_64 rng(seed);
      auto s = rectangle_sample(cv::Rect(40, 30, 50, 36));
      cv::rectangle(s.image, cv::Rect(0, 0, 20, 20), cv::Scalar(200, 40, 90), cv::FILLED);  // some colour
      const auto before = s.objects;
      const cv::Mat pixels_before = s.image.clone();
      step->apply(s, rng);
      ASSERT_EQ(s.image.size(), cv::Size(kW, kH)) << name;
      ASSERT_EQ(s.image.type(), CV_32FC3) << name;
      ASSERT_EQ(s.objects.size(), 1u) << name;
      EXPECT_EQ(s.objects[0].x1, before[0].x1) << name;
      EXPECT_EQ(s.objects[0].y2, before[0].y2) << name;
      double lo = 0, hi = 0;
      cv::minMaxLoc(s.image.reshape(1), &lo, &hi);
      EXPECT_GE(lo, 0.0) << name;
      EXPECT_LE(hi, 255.0) << name;
      if (name == "to_gray") {
        const auto px = s.image.at<cv::Vec3f>(5, 5);
        EXPECT_FLOAT_EQ(px[0], px[1]);
        EXPECT_FLOAT_EQ(px[1], px[2]);
      }
      changed = changed || cv::norm(s.image, pixels_before, cv::NORM_INF) > 0;
    }
    EXPECT_TRUE(changed) << name << " left the pixels as they were";
  }
}

// The pipeline makes the image once for a run of geometric steps and the fit to the input: the same boxes, to the bit,
// as making it after every step, and the same pixels up to the one resampling instead of several; a crop before a
// zoom-out (which must show the fill where the crop cut) and a mirrored border are made step by step. Under each
// model.resize, the boxes stay on the object's pixels.
TEST(AugmentSteps, GeometricStepsMadeInOnePassMatchStepByStep) {
  const auto c = with_augment(
      "  pipeline: [random_sized_crop, zoom_out, affine, iou_crop, hflip, vflip, center_crop]\n"
      "  zoom_out: {p: 0.7, max_ratio: 2.0, fill: [0, 0, 0]}\n  affine: {p: 0.7, degrees: 20, min_visibility: 0.0, fill: [0, 0, 0]}\n"
      "  random_sized_crop: {p: 0.5, min_visibility: 0.0}\n  center_crop: {p: 0.3, fraction: 0.9, min_visibility: 0.0}\n");
  // Without rotation a box stays the box of its object's pixels through any run of steps (a rotated box is re-fitted
  // around its corners, and a later crop can cut away the corner it was fitted to).
  const auto upright = with_augment(
      "  pipeline: [random_sized_crop, zoom_out, affine, iou_crop, hflip, vflip, center_crop]\n"
      "  zoom_out: {p: 0.7, max_ratio: 2.0, fill: [0, 0, 0]}\n  affine: {p: 0.7, degrees: 0, min_visibility: 0.0, fill: [0, 0, 0]}\n"
      "  random_sized_crop: {p: 0.5, min_visibility: 0.0}\n  center_crop: {p: 0.3, fraction: 0.9, min_visibility: 0.0}\n");
  // An affine map pushes part of the image out of the frame: a letterbox fit after it must not bring it back.
  const auto turned = with_augment("  pipeline: [affine]\n  affine: {p: 1.0, degrees: 10, translate: 0.1, min_visibility: 0.0, fill: [0, 0, 0]}\n");
  const auto reflect = with_augment("  pipeline: [zoom_out, affine, hflip]\n  zoom_out: {p: 1.0, fill: [0, 0, 0]}\n"
                                    "  affine: {p: 1.0, border: reflect, degrees: 5, scale: [0.95, 1.0], translate: 0.0}\n");
  Sample sample;
  sample.image = cv::Mat(kH, kW, CV_8UC3, cv::Scalar(60, 60, 60));  // not the fill: a fill in the wrong place shows
  cv::rectangle(sample.image, cv::Rect(40, 30, 50, 36), cv::Scalar(255, 255, 255), cv::FILLED);
  Object o;
  o.x1 = 40, o.y1 = 30, o.x2 = 90, o.y2 = 66, o.label = 1;
  sample.annotation.objects = {o};
  const cv::Size input(96, 64);
  for (const auto* config : {&c, &upright, &turned, &reflect}) {
    for (const std::string& policy : resize_policies()) {
      const PipelineAugmentation once(config->augment, {0, 0, 0}, {1, 1, 1}, config::ImageSize(input.width, input.height), policy);
      std::vector<std::unique_ptr<augment_steps::Step>> steps;
      for (const auto& name : config->augment.pipeline) steps.push_back(make_step(*config, name));
      double worst = 0;
      for (uint64_t seed = 0; seed < 30; ++seed) {
        std::mt19937_64 a(seed), b(seed);
        const auto composed = once.augment(sample, a);
        Labeled each = as_float(sample);
        for (const auto& step : steps)
          if (augment_steps::uniform(b, 0.0, 1.0) < step->p()) step->apply(each, b);
        each = fit_to_input(each, input, policy, cv::Scalar(0, 0, 0));
        ASSERT_EQ(composed.objects.size(), each.objects.size()) << policy << " seed " << seed;
        for (size_t k = 0; k < each.objects.size(); ++k) {
          EXPECT_EQ(composed.objects[k].x1, std::clamp(each.objects[k].x1, 0.f, 96.f)) << policy << " seed " << seed;
          EXPECT_EQ(composed.objects[k].y2, std::clamp(each.objects[k].y2, 0.f, 64.f)) << policy << " seed " << seed;
        }
        worst = std::max(worst, cv::norm(composed.image, each.image, cv::NORM_L1) / (3.0 * input.area()));
        // Where step by step shows the fill (black; the image's gray is 60), two pixels in from any edge of it, the
        // one pass shows the fill too.
        cv::Mat gray_each, gray_once, fill_only;
        cv::cvtColor(each.image, gray_each, cv::COLOR_RGB2GRAY);
        cv::cvtColor(composed.image, gray_once, cv::COLOR_RGB2GRAY);
        cv::erode(gray_each < 0.5, fill_only, cv::Mat(), cv::Point(-1, -1), 2);
        double brightest = 0;
        cv::minMaxLoc(gray_once, nullptr, &brightest, nullptr, nullptr, fill_only);
        EXPECT_LT(brightest, 1.0) << policy << " seed " << seed << ": the one pass shows pixels where the fill belongs";
        if (config == &upright && !composed.objects.empty()) {
          const auto pixels = bright_box(composed.image);
          ASSERT_TRUE(pixels.has_value()) << policy << " seed " << seed;
          EXPECT_NEAR(composed.objects[0].x1, pixels->x, 1.0) << policy << " seed " << seed;
          EXPECT_NEAR(composed.objects[0].y1, pixels->y, 1.0) << policy << " seed " << seed;
          EXPECT_NEAR(composed.objects[0].x2, pixels->x + pixels->width, 1.0) << policy << " seed " << seed;
          EXPECT_NEAR(composed.objects[0].y2, pixels->y + pixels->height, 1.0) << policy << " seed " << seed;
        }
      }
      // Mean absolute difference per value (0..255): up to 5 where edges are resampled once instead of three times; a
      // fill in the wrong place (a crop's cut shown again) gives over 10.
      EXPECT_LT(worst, 8.0) << policy;
    }
  }
}

// The pipeline: the model's input size, reproducible from the seed, and its steps' keys read from the YAML.
TEST(AugmentSteps, APipelineIsReproducibleAndEndsAtTheInputSize) {
  const auto c = with_augment(
      "  pipeline: [brightness, gaussian_noise, jpeg, zoom_out, affine, iou_crop, hflip]\n"
      "  affine: {p: 1.0, degrees: 12}\n  gaussian_noise: {p: 1.0, std: [4, 8]}\n  jpeg: {p: 1.0}\n");
  const auto augmentation = make_train_augmentation(c.augment, {123.675, 116.28, 103.53}, {58.395, 57.12, 57.375}, config::ImageSize(96, 64), "stretch");
  Sample sample;
  sample.image = cv::Mat(kH, kW, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::rectangle(sample.image, cv::Rect(40, 30, 50, 36), cv::Scalar(255, 255, 255), cv::FILLED);
  Object o;
  o.x1 = 40, o.y1 = 30, o.x2 = 90, o.y2 = 66, o.label = 1;
  sample.annotation.objects = {o};
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 a(seed), b(seed);
    const auto x = augmentation->augment(sample, a), y = augmentation->augment(sample, b);
    EXPECT_EQ(x.image.size(), cv::Size(96, 64));
    EXPECT_EQ(cv::norm(x.image, y.image, cv::NORM_INF), 0.0);
    ASSERT_EQ(x.objects.size(), y.objects.size());
    for (const auto& box : x.objects) {
      EXPECT_GE(box.x1, 0.f);
      EXPECT_LE(box.x2, 96.f);
      EXPECT_LT(box.x1, box.x2);
    }
    const auto p = (*augmentation)(sample, a);
    EXPECT_EQ(p.image.sizes(), (std::vector<int64_t>{3, 64, 96}));
  }
}

TEST(AugmentSteps, TheConfigNamesAnUnknownOrRepeatedStep) {
  const auto unknown = test::thrown_message<ConfigError>([] { with_augment("  pipeline: [hflp]\n"); });
  EXPECT_NE(unknown.find("augment.pipeline"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("hflip"), std::string::npos) << unknown;  // did you mean
  const auto twice = test::thrown_message<ConfigError>([] { with_augment("  pipeline: [hflip, hflip]\n"); });
  EXPECT_NE(twice.find("twice"), std::string::npos) << twice;
  const auto bad_key = test::thrown_message<ConfigError>([] { with_augment("  affine: {degres: 5}\n"); });
  EXPECT_NE(bad_key.find("augment.affine.degrees"), std::string::npos) << bad_key;
  const auto bad_value = test::thrown_message<ConfigError>([] { with_augment("  gaussian_blur: {sigma: [2, 1]}\n"); });
  EXPECT_NE(bad_value.find("augment.gaussian_blur.sigma"), std::string::npos) << bad_value;
}

}  // namespace
}  // namespace ssd::data
