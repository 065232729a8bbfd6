#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "ssd/model/priors.h"
#include "test_support.h"

namespace ssd::model {
namespace {

std::vector<FeatureSpec> maps(std::vector<int64_t> sizes) {
  std::vector<FeatureSpec> out;
  for (auto s : sizes) out.push_back({256, s});
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

}  // namespace
}  // namespace ssd::model
