// Sliced inference: the plan of views, the merge across tiles, and the mapping of each tile's detections back to the
// image, against plain inference of the same pixels.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "../test_data.h"
#include "ssd/builder/model.h"
#include "ssd/data/augment.h"
#include "ssd/eval/evaluator.h"
#include "ssd/eval/sliced_inference.h"
#include "ssd/data/shapes.h"
#include "ssd/model/postprocess.h"

namespace ssd::eval {
namespace {

Detection det(int64_t label, double score, double x1, double y1, double x2, double y2) {
  return detection_from_xywh("", label, score, x1, y1, x2 - x1, y2 - y1);
}

TEST(SlicedInference, AnObjectSplitByATileEdgeIsOneDetection) {
  config::TilingConfig tiling;  // nms, merge_threshold 0.5
  // One object at x 480..560 across the edge of a tile that ends at 512: the tile that holds it whole finds it at
  // 0.9, the tile it leaves finds its part left of the edge at 0.6. Beside them: the same place in another class, and
  // another object of the first class.
  const std::vector<Detection> found = {det(1, 0.6, 481, 100, 512, 140), det(1, 0.9, 480, 100, 560, 141),
                                        det(2, 0.5, 482, 101, 559, 140), det(1, 0.7, 600, 100, 640, 140)};
  const auto merged = merge_views(found, tiling, 100);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_DOUBLE_EQ(merged[0].score, 0.9);
  EXPECT_DOUBLE_EQ(merged[0].x2, 560);
  EXPECT_DOUBLE_EQ(merged[1].score, 0.7);
  EXPECT_EQ(merged[2].label, 2);
  // wbf: the part fused into the whole, coordinates weighted by score, the best score.
  tiling.merge = "wbf";
  const auto fused = merge_views(found, tiling, 100);
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_DOUBLE_EQ(fused[0].score, 0.9);
  EXPECT_NEAR(fused[0].x1, (0.9 * 480 + 0.6 * 481) / 1.5, 1e-9);
  EXPECT_NEAR(fused[0].x2, (0.9 * 560 + 0.6 * 512) / 1.5, 1e-9);
  EXPECT_NEAR(fused[0].y2, (0.9 * 141 + 0.6 * 140) / 1.5, 1e-9);
  // Past merge_threshold nothing is the same object; max_per_image keeps the best.
  tiling.merge = "nms", tiling.merge_threshold = 1.0;
  EXPECT_EQ(merge_views(found, tiling, 100).size(), 4u);
  EXPECT_EQ(merge_views(found, tiling, 2).size(), 2u);
}

TEST(SlicedInference, PlanOfViews) {
  config::TilingConfig tiling;
  auto plan = plan_slices(1920, 1080, 512, tiling);
  EXPECT_EQ(plan.tiles.size(), 15u);
  EXPECT_TRUE(plan.whole_image);
  EXPECT_EQ(plan.views(), 16);
  tiling.scale = 0.5;  // tiles of 1024 source pixels: 3 columns and, as 1080 - 1024 px is left over, 2 rows
  plan = plan_slices(1920, 1080, 512, tiling);
  EXPECT_EQ(plan.tiles.size(), 6u);
  EXPECT_EQ(plan.tiles[0].width, 1024);
  // An image of one tile's size is its one view.
  plan = plan_slices(512, 512, 512, config::TilingConfig{});
  EXPECT_EQ(plan.views(), 1);
  // The validation loss's objects: each tile's as training cuts them, the whole image's all, in [0, 1] of the view.
  tiling = {};
  plan = plan_slices(1024, 512, 512, tiling);
  ASSERT_EQ(plan.views(), 4);  // tiles at 0, 256 and 512 (two would share none of their sides), the whole image
  const std::vector<data::Object> objects = {{500, 10, 530, 40, 1}};
  const auto held = view_objects(objects, {{{0, 0, 512, 512}, {512, 0, 512, 512}}, true}, 1024, 512, 0.5, 512, "stretch");
  ASSERT_EQ(held.size(), 3u);
  EXPECT_TRUE(held[0].empty());  // 12 of its 30 px wide lie in the first tile: 0.4 of it, under min_visible
  ASSERT_EQ(held[1].size(), 1u);
  EXPECT_FLOAT_EQ(held[1][0].x2, 18.f / 512);
  EXPECT_FLOAT_EQ(held[2].at(0).x1, 500.f / 1024);
}

// A tiny SSD-Lite with random weights and every candidate kept: many boxes to compare.
struct Tiny {
  config::Config config;
  model::Ssd model{nullptr};
  Tiny() {
    config.model = test::tiny_model();
    config.data.classes = {"a", "b", "c"};
    config.postprocess.score_threshold = 0.0;
    config.postprocess.max_per_image = 10000;
    torch::manual_seed(5);
    model = builder::model(config);
    model->eval();
  }
  // Plain inference of one image, as evaluation runs it.
  std::vector<Detection> plain(const cv::Mat& rgb) {
    torch::NoGradGuard no_grad;
    data::Sample s;
    s.image = rgb;
    const auto in = data::prepare_for_eval(s, model->pixel_mean(), model->pixel_std(), 96, "stretch").image.unsqueeze(0);
    const auto out = model->forward(in);
    const auto d = model::postprocess(out.loc, out.conf, model->priors(), model->box_coder(), config.postprocess);
    return to_pixel_detections("", d[0].boxes, d[0].scores, d[0].labels, rgb.cols, rgb.rows);
  }
  std::vector<Detection> sliced(const cv::Mat& rgb, const config::TilingConfig& tiling) {
    const auto plan = plan_slices(rgb.cols, rgb.rows, 96, tiling);
    const auto inputs = slice_inputs(rgb, plan, 96, model->pixel_mean(), model->pixel_std(), "stretch");
    return detect_sliced(model, inputs, plan, rgb.cols, rgb.rows, config.postprocess, tiling, 4, at::kCPU);
  }
};

cv::Mat noise_image(int width, int height, int seed) {
  cv::Mat m(height, width, CV_8UC3);
  cv::theRNG().state = static_cast<uint64_t>(seed);
  cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
  return m;
}

void expect_same(const std::vector<Detection>& a, const std::vector<Detection>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].label, b[i].label) << i;
    EXPECT_EQ(a[i].score, b[i].score) << i;
    EXPECT_EQ(a[i].x1, b[i].x1) << i;
    EXPECT_EQ(a[i].y1, b[i].y1) << i;
    EXPECT_EQ(a[i].x2, b[i].x2) << i;
    EXPECT_EQ(a[i].y2, b[i].y2) << i;
  }
}

TEST(SlicedInference, ATileSizedImageGivesPlainInference) {
  Tiny t;
  const cv::Mat image = noise_image(96, 96, 1);
  const auto plain = t.plain(image);
  ASSERT_GT(plain.size(), 100u);
  expect_same(t.sliced(image, config::TilingConfig{}), plain);
}

// Four tiles in a 2 x 2 grid, nothing merged: each tile's detections are plain inference of its pixels, moved by its
// origin.
TEST(SlicedInference, EachTilesDetectionsMoveToItsPlaceInTheImage) {
  Tiny t;
  const cv::Mat image = noise_image(192, 192, 2);
  config::TilingConfig tiling;
  tiling.overlap = 0, tiling.whole_image = false, tiling.merge_threshold = 1.0;
  std::vector<Detection> expected;
  for (const cv::Point origin : {cv::Point(0, 0), cv::Point(96, 0), cv::Point(0, 96), cv::Point(96, 96)})
    for (auto d : t.plain(image(cv::Rect(origin.x, origin.y, 96, 96)).clone())) {
      d.x1 += origin.x, d.x2 += origin.x, d.y1 += origin.y, d.y2 += origin.y;
      expected.push_back(d);
    }
  std::stable_sort(expected.begin(), expected.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  const auto got = t.sliced(image, tiling);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].label, expected[i].label) << i;
    EXPECT_FLOAT_EQ(static_cast<float>(got[i].score), static_cast<float>(expected[i].score)) << i;
    EXPECT_NEAR(got[i].x1, expected[i].x1, 1e-4) << i;
    EXPECT_NEAR(got[i].x2, expected[i].x2, 1e-4) << i;
    EXPECT_NEAR(got[i].y1, expected[i].y1, 1e-4) << i;
    EXPECT_NEAR(got[i].y2, expected[i].y2, 1e-4) << i;
  }
}

// Validation by sliced inference on images of one tile's size is plain validation: the same detections, and the same
// loss (the image's one view against all its objects).
TEST(SlicedInference, SlicedValidationOfTileSizedImagesIsPlainValidation) {
  const auto dir = test::temp_dir("sliced_validation");
  const auto root = test::make_shapes(dir, /*train=*/2, /*val=*/5, /*size=*/96);
  Tiny t;
  t.config.data.classes = data::shapes_classes();
  torch::manual_seed(5);
  t.model = builder::model(t.config);
  const data::DetectionDataset val(test::dataset_options({"voc", {root}, {"val"}}, t.config.data.classes));
  EvalOptions plain;
  plain.batch_size = 1;  // the loss per image, as slicing takes it
  plain.workers = 1;
  plain.postprocess = t.config.postprocess;
  plain.loss = t.config.loss;
  auto sliced = plain;
  sliced.tiling = config::TilingConfig{};
  double plain_loss = 0, sliced_loss = 0;
  const auto a = predict(t.model, val, plain, at::kCPU, nullptr, &plain_loss);
  const auto b = predict(t.model, val, sliced, at::kCPU, nullptr, &sliced_loss);
  ASSERT_GT(a.size(), 100u);
  expect_same(a, b);
  EXPECT_NEAR(sliced_loss, plain_loss, 1e-5 * plain_loss);
  EXPECT_GT(plain_loss, 0);
}

}  // namespace
}  // namespace ssd::eval
