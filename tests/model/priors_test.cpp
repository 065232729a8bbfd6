#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "ssd/model/priors.h"
#include "test_support.h"

namespace ssd::model {
namespace {

std::vector<FeatureSpec> maps(std::vector<int64_t> sizes) {
  std::vector<FeatureSpec> out;
  for (auto s : sizes) out.push_back({256, s, s});
  return out;
}

void expect_box(const at::Tensor& box, double cx, double cy, double w, double h) {
  EXPECT_NEAR(box[0].item<double>(), cx, 1e-5);
  EXPECT_NEAR(box[1].item<double>(), cy, 1e-5);
  EXPECT_NEAR(box[2].item<double>(), w, 1e-5);
  EXPECT_NEAR(box[3].item<double>(), h, 1e-5);
}

const std::vector<int64_t> kSsd300Maps = {38, 19, 10, 5, 3, 1};

TEST(Priors, Ssd300MatchesTorchvisionGeneratorBoxForBox) {
  const auto specs = maps(kSsd300Maps);
  const auto table = resolve_priors(config::PriorConfig{}, "ssd300", 300, specs);
  const auto priors = make_priors(table, 300, specs);
  const auto golden = test::golden("priors_ssd300.json");
  ASSERT_EQ(priors.size(0), golden["count"].get<int64_t>());
  const auto expected = torch::tensor(golden["cxcywh"].get<std::vector<float>>()).view({-1, 4});
  EXPECT_LT((priors - expected).abs().max().item<float>(), 2e-6);
}

// First and last box of every SSD300 level, worked by hand from the paper's table:
// level k: centre (j + 0.5) * step / 300, first box = square of min/300, last = ratio r flipped:
// (min / sqrt(r), min * sqrt(r)) / 300 at the last cell, width and height clipped to 1 (centres never are).
TEST(Priors, Ssd300FirstAndLastBoxOfEachLevel) {
  const auto specs = maps(kSsd300Maps);
  const auto t = resolve_priors(config::PriorConfig{}, "ssd300", 300, specs);
  const auto priors = make_priors(t, 300, specs);
  struct Level { int64_t f, anchors; double step, min, last_ratio; };
  const Level levels[] = {{38, 4, 8, 30, 2}, {19, 6, 16, 60, 3}, {10, 6, 32, 111, 3},
                          {5, 6, 64, 162, 3}, {3, 4, 100, 213, 2}, {1, 4, 300, 264, 2}};
  int64_t offset = 0;
  for (const auto& l : levels) {
    SCOPED_TRACE("level with map " + std::to_string(l.f));
    const double c0 = 0.5 * l.step / 300, s = l.min / 300, q = std::sqrt(l.last_ratio);
    expect_box(priors[offset], c0, c0, s, s);
    const double c_last = (l.f - 0.5) * l.step / 300;  // 1.0133 on the 10x10 level
    offset += l.f * l.f * l.anchors;
    expect_box(priors[offset - 1], c_last, c_last, std::min(1.0, s / q), std::min(1.0, s * q));
  }
  EXPECT_EQ(offset, 8732);
  // Spot check the second square of level 0: sqrt(30 * 60) / 300.
  expect_box(priors[1], 4.0 / 300, 4.0 / 300, std::sqrt(1800.0) / 300, std::sqrt(1800.0) / 300);
}

TEST(Priors, Ssd512FirstAndLastBox) {
  const auto specs = maps({64, 32, 16, 8, 4, 2, 1});
  const auto t = resolve_priors(config::PriorConfig{}, "ssd512", 512, specs);
  const auto priors = make_priors(t, 512, specs);
  ASSERT_EQ(priors.size(0), 24564);
  expect_box(priors[0], 4.0 / 512, 4.0 / 512, 20.48 / 512, 20.48 / 512);
  // Last level: one cell centred at 0.5, min 460.8 -> 0.9; ratio 2 flipped: (0.9 / sqrt 2, 0.9 * sqrt 2 -> 1).
  expect_box(priors[24563], 0.5, 0.5, 0.9 / std::sqrt(2.0), 1.0);
}

TEST(Priors, ScalesPresetFollowsThePaperRule) {
  config::PriorConfig c;
  c.preset = "scales";
  c.s_min = 0.2;
  c.s_max = 0.9;
  const auto specs = maps({10, 5, 3});
  const auto t = resolve_priors(c, "ignored", 300, specs);
  // s_k = 0.2 + 0.7 * k / 2 -> 0.2, 0.55, 0.9; the last second square uses s = 1.
  EXPECT_NEAR(t.min_sizes[1], 0.55 * 300, 1e-9);
  EXPECT_NEAR(t.max_sizes[2], 300, 1e-9);
  EXPECT_NEAR(t.steps[1], 60, 1e-9);  // derived: 300 / 5
  EXPECT_EQ(make_priors(t, 300, specs).size(0), (100 + 25 + 9) * 6);
}

TEST(Priors, ConfigListsReplacePresetValues) {
  config::PriorConfig c;
  c.aspect_ratios = {{2}, {2}, {2}, {2}, {2}, {2}};
  const auto specs = maps(kSsd300Maps);
  const auto t = resolve_priors(c, "ssd300", 300, specs);
  EXPECT_EQ(t.anchors_per_cell(), (std::vector<int64_t>{4, 4, 4, 4, 4, 4}));
  EXPECT_EQ(t.min_sizes[0], 30);
}

TEST(Priors, NoClipLeavesBoxesOutside) {
  config::PriorConfig c;
  c.clip = false;
  const auto specs = maps(kSsd300Maps);
  const auto priors = make_priors(resolve_priors(c, "ssd300", 300, specs), 300, specs);
  EXPECT_GT(priors.max().item<float>(), 1.0f);
}

// A non-square input, 160 x 96 px, with maps of 4 x 10 and 2 x 5 cells (rows x columns), worked by hand: the scales
// preset on the shorter side (s 0.2 and 0.9 of 96 px: min sizes 19.2 and 86.4 px, max 86.4 and 96), centres spaced by
// 160 / 10 = 16 px along x and 96 / 4 = 24 px along y on level 0 (32 and 48 on level 1), boxes square in pixels (w
// divided by 160, h by 96), cells row by row.
TEST(Priors, NonSquareInputCountAndPositionsByHand) {
  config::PriorConfig c;
  c.preset = "scales";
  c.s_min = 0.2;
  c.s_max = 0.9;
  const std::vector<FeatureSpec> specs = {{256, 4, 10}, {256, 2, 5}};
  const config::ImageSize image(160, 96);
  const auto t = resolve_priors(c, "ignored", image, specs);
  EXPECT_NEAR(t.min_sizes[0], 19.2, 1e-9);
  EXPECT_NEAR(t.min_sizes[1], 86.4, 1e-9);
  EXPECT_NEAR(t.max_sizes[1], 96, 1e-9);
  EXPECT_NEAR(t.steps[0], 16, 1e-9);
  EXPECT_NEAR(t.step_y(0), 24, 1e-9);
  EXPECT_NEAR(t.steps[1], 32, 1e-9);
  EXPECT_NEAR(t.step_y(1), 48, 1e-9);
  const auto priors = make_priors(t, image, specs);
  ASSERT_EQ(priors.size(0), (4 * 10 + 2 * 5) * 6);
  const double q2 = std::sqrt(2.0), q3 = std::sqrt(3.0), second = std::sqrt(19.2 * 86.4);
  // Level 0, cell (0, 0): the small square, the second square, ratio 2.
  expect_box(priors[0], 8.0 / 160, 12.0 / 96, 19.2 / 160, 19.2 / 96);
  expect_box(priors[1], 8.0 / 160, 12.0 / 96, second / 160, second / 96);
  expect_box(priors[2], 8.0 / 160, 12.0 / 96, 19.2 * q2 / 160, 19.2 / q2 / 96);
  // Cell (0, 1) follows along the row: x moves by one step, y stays.
  expect_box(priors[6], 24.0 / 160, 12.0 / 96, 19.2 / 160, 19.2 / 96);
  // Cell (1, 0) starts the second row.
  expect_box(priors[60], 8.0 / 160, 36.0 / 96, 19.2 / 160, 19.2 / 96);
  // Level 0's last cell (3, 9), its last box: ratio 3 flipped.
  expect_box(priors[239], 152.0 / 160, 84.0 / 96, 19.2 / q3 / 160, 19.2 * q3 / 96);
  // Level 1, cell (0, 0), and its last cell (1, 4): ratio 3 flipped, the height clipped to the image.
  expect_box(priors[240], 16.0 / 160, 24.0 / 96, 86.4 / 160, 86.4 / 96);
  expect_box(priors[299], 144.0 / 160, 72.0 / 96, 86.4 / q3 / 160, 1.0);
}

// A paper's table away from its own square: box sides scaled by the shorter side over its side, steps from the maps.
TEST(Priors, PaperTableOnANonSquareInput) {
  const std::vector<FeatureSpec> specs = {{512, 68, 120}, {1024, 34, 60}, {512, 17, 30}, {256, 9, 15},
                                          {256, 5, 8},    {256, 3, 4},     {256, 2, 3}};
  const auto t = resolve_priors(config::PriorConfig{}, "ssd512", config::ImageSize(960, 544), specs);
  EXPECT_NEAR(t.min_sizes[0], 20.48 * 544 / 512, 1e-9);
  EXPECT_NEAR(t.max_sizes[6], 537.6 * 544 / 512, 1e-9);
  EXPECT_NEAR(t.steps[0], 8, 1e-9);
  EXPECT_NEAR(t.step_y(6), 272, 1e-9);
  EXPECT_NEAR(t.steps[6], 320, 1e-9);
  // At its own square the table is the paper's, steps included.
  const auto square = resolve_priors(config::PriorConfig{}, "ssd512", 512, maps({64, 32, 16, 8, 4, 2, 1}));
  EXPECT_EQ(square.steps, (std::vector<double>{8, 16, 32, 64, 128, 256, 512}));
  EXPECT_TRUE(square.steps_y.empty());
  EXPECT_EQ(square.min_sizes[0], 20.48);
}

}  // namespace
}  // namespace ssd::model
