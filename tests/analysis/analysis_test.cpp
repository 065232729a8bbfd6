// ssd-data analyze's parts: box shapes at the model's input, their best IoU with the default boxes, k-means of shapes on
// 1 - IoU and its mapping onto feature maps, each against hand-worked values; and the whole analysis on generated data,
// where the fitted default boxes must leave fewer boxes unmatched than the config's.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include <ATen/ATen.h>

#include <filesystem>
#include <random>

#include "ssd/analysis/analyze.h"
#include "ssd/analysis/box_shapes.h"
#include "ssd/analysis/prior_coverage.h"
#include "ssd/analysis/prior_fit.h"
#include "ssd/builder/model.h"
#include "ssd/config/load.h"
#include "ssd/data/dataset.h"
#include "test_data.h"

namespace ssd::analysis {
namespace {

TEST(PriorFit, CentredIouByHand) {
  EXPECT_DOUBLE_EQ(centred_iou({4, 2}, {2, 4}), 4.0 / 12);
  EXPECT_DOUBLE_EQ(centred_iou({2, 2}, {4, 4}), 0.25);
  EXPECT_DOUBLE_EQ(centred_iou({3, 5}, {3, 5}), 1.0);
}

TEST(PriorFit, KmeansFindsThreeSeparateShapes) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> jitter(0.95, 1.05);
  std::vector<Shape> shapes;
  const std::vector<Shape> truth{{10, 10}, {40, 20}, {100, 100}};
  for (int i = 0; i < 30; ++i)
    for (const auto& t : truth) shapes.push_back({t.w * jitter(rng), t.h * jitter(rng)});
  const auto centroids = kmeans_shapes(shapes, 3, 7);
  ASSERT_EQ(centroids.size(), 3u);
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(centroids[c].w, truth[c].w, 0.05 * truth[c].w) << "centroid " << c;
    EXPECT_NEAR(centroids[c].h, truth[c].h, 0.05 * truth[c].h) << "centroid " << c;
  }
  EXPECT_EQ(kmeans_shapes(shapes, 3, 7).front().w, centroids.front().w);  // the same seed, the same centroids
}

// At IoU 0.5 a default box reaches a box of its own size wherever it lies when the stride is at most 0.367 of its side.
TEST(PriorFit, EachBoxGoesToTheCoarsestMapThatCanMatchIt) {
  const std::vector<double> steps{8, 16, 32, 64};
  EXPECT_EQ(level_for(10, steps, 0.5), 0u);    // 3.7 px: no map is fine enough; the finest
  EXPECT_EQ(level_for(30, steps, 0.5), 0u);    // 11 px: stride 8
  EXPECT_EQ(level_for(50, steps, 0.5), 1u);    // 18.4 px: stride 16
  EXPECT_EQ(level_for(100, steps, 0.5), 2u);   // 36.7 px: stride 32
  EXPECT_EQ(level_for(1000, steps, 0.5), 3u);
  // Side s against a box of side s offset by half a step (4 px) in x and y: IoU (s - 4)^2 / (2 s^2 - (s - 4)^2) = 0.5.
  const double s = smallest_matchable(8, 0.5);
  EXPECT_NEAR((s - 4) * (s - 4) / (2 * s * s - (s - 4) * (s - 4)), 0.5, 1e-12);
}

// 20 boxes of 20x40 and 20 of 40x40 all belong to the stride-8 map. Two centroids there: min 28.3 (the 20x40's side),
// the second square at 40 (max = 1600 / 28.3 = 56.5), ratio 2 from the 20x40. One: their mean 30x40, side 34.6, max
// the next map's min size 60 (SSD's second square at sqrt(34.6 * 60)), no ratio (1.33:1). The stride-32 map has no
// boxes and keeps the config's sizes. Boxes of 100x100 belong to the stride-32 map, the last: min 100 and the config's
// ratio of max to min there (100 / 60), max 166.7.
TEST(PriorFit, LevelsAreFittedToTheirOwnBoxesByHand) {
  model::PriorTable now;
  now.steps = {8, 32};
  now.min_sizes = {20, 60};
  now.max_sizes = {40, 100};
  now.aspect_ratios = {{2}, {2, 3}};
  std::vector<Shape> shapes;
  for (int i = 0; i < 20; ++i) shapes.push_back({20, 40}), shapes.push_back({40, 40});
  const auto two = propose_priors(shapes, now, 2, 0.5, 3);
  EXPECT_EQ(two.boxes_per_level, (std::vector<size_t>{40, 0}));
  EXPECT_EQ(two.min_sizes, (std::vector<double>{28.3, 60}));
  EXPECT_EQ(two.max_sizes, (std::vector<double>{56.5, 100}));
  EXPECT_EQ(two.aspect_ratios, (std::vector<std::vector<double>>{{2}, {2, 3}}));
  EXPECT_EQ(proposal_yaml(two), "model:\n  priors:\n    min_sizes: [28.3, 60]\n    max_sizes: [56.5, 100]\n"
                                "    aspect_ratios: [[2], [2, 3]]\n");
  const auto one = propose_priors(shapes, now, 1, 0.5, 3);
  EXPECT_EQ(one.min_sizes, (std::vector<double>{34.6, 60}));
  EXPECT_EQ(one.max_sizes, (std::vector<double>{60, 100}));
  EXPECT_EQ(one.aspect_ratios[0], std::vector<double>{});
  const auto large = propose_priors(std::vector<Shape>(10, Shape{100, 100}), now, 1, 0.5, 3);
  EXPECT_EQ(large.boxes_per_level, (std::vector<size_t>{0, 10}));
  EXPECT_EQ(large.min_sizes, (std::vector<double>{20, 100}));
  EXPECT_EQ(large.max_sizes, (std::vector<double>{40, 166.7}));
}

TEST(PriorCoverage, EachBoxGetsItsBestIouAtItsPosition) {
  BoxShapes shapes;
  shapes.input_size = 100;
  shapes.boxes = {{0, 1, 40, 40, 60, 60}, {0, 1, 0, 0, 10, 10}, {0, 1, 20, 20, 30, 30}, {0, 1, 40, 40, 60, 70}};
  const auto priors = at::tensor({0.5, 0.5, 0.2, 0.2, 0.25, 0.25, 0.1, 0.1}, at::kFloat).view({2, 4});
  const auto best = best_prior_iou(shapes, priors);
  ASSERT_EQ(best.size(), 4u);
  EXPECT_NEAR(best[0], 1.0, 1e-6);
  EXPECT_NEAR(best[1], 0.0, 1e-6);
  EXPECT_NEAR(best[2], 1.0, 1e-6);
  EXPECT_NEAR(best[3], 400.0 / 600, 1e-6);  // 20x30 box over a 20x20 default box at the same corner
  EXPECT_DOUBLE_EQ(unmatched_share(best, 0.5), 0.25);
  EXPECT_DOUBLE_EQ(unmatched_share(best, 0.7), 0.5);
}

TEST(BoxShapes, AreTheAnnotationsScaledToTheInput) {
  const auto dir = test::temp_dir("box_shapes");
  const auto config = test::tiny_config(test::make_shapes(dir, 6, 2, 96), dir + "/run");
  const data::DetectionDataset train(test::dataset_options(config.data.train, config.data.classes));
  const auto shapes = collect_box_shapes(train, 192);
  EXPECT_EQ(shapes.images, 6u);
  size_t k = 0;
  for (size_t i = 0; i < train.size(); ++i)
    for (const auto& o : train.annotation(i).objects) {
      ASSERT_LT(k, shapes.boxes.size());
      EXPECT_DOUBLE_EQ(shapes.boxes[k].x1, 2.0 * o.x1);
      EXPECT_DOUBLE_EQ(shapes.boxes[k].y2, 2.0 * o.y2);
      EXPECT_EQ(shapes.boxes[k].label, o.label);
      ++k;
    }
  EXPECT_EQ(k, shapes.boxes.size());
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
}

// Tiled training (tiling.scale 2, tiles of 48 input px): every box at twice its size, inside a tile; one that crosses the
// grid's tile edge moved into a tile ending where it ends; one longer than a tile cut to it.
TEST(BoxShapes, InTilesAreScaledAndPlacedInATile) {
  const auto dir = test::temp_dir("box_shapes_tiles");
  const auto config = test::tiny_config(test::make_shapes(dir, 6, 2, 96), dir + "/run");
  const data::DetectionDataset train(test::dataset_options(config.data.train, config.data.classes));
  const auto shapes = collect_box_shapes(train, 48, 2.0);
  size_t k = 0, moved = 0, cut = 0;
  for (size_t i = 0; i < train.size(); ++i)
    for (const auto& o : train.annotation(i).objects) {
      ASSERT_LT(k, shapes.boxes.size());
      const auto& b = shapes.boxes[k++];
      for (const auto& [lo, hi, a, z] : {std::tuple{b.x1, b.x2, o.x1, o.x2}, std::tuple{b.y1, b.y2, o.y1, o.y2}}) {
        EXPECT_GE(lo, 0.0);
        EXPECT_LE(hi, 48.0);
        const double length = 2.0 * (z - a);
        EXPECT_DOUBLE_EQ(hi - lo, std::min(length, 48.0));
        cut += length > 48;
        moved += length <= 48 && std::fmod(2.0 * a, 48.0) + length > 48;  // crossed its grid tile's edge
      }
    }
  EXPECT_EQ(k, shapes.boxes.size());
  EXPECT_GT(moved, 0u);
  EXPECT_GT(cut, 0u);
}

// Objects of 10 to 40 px at a 96-pixel input against default boxes from 19 px up: the small ones have no default box at
// IoU 0.5; the fitted boxes leave fewer unmatched, and their YAML is a config the model builds from.
TEST(DataAnalysis, FittedDefaultBoxesLeaveFewerBoxesUnmatched) {
  const auto dir = test::temp_dir("data_analysis");
  const auto config = test::tiny_config(test::make_shapes(dir, 40, 2, 96), dir + "/run");
  const auto a = analyze_data(config, dir + "/out");
  EXPECT_GT(a.boxes, 40u);
  EXPECT_GT(a.unmatched_now, 0.05);
  ASSERT_FALSE(a.proposals.empty());
  EXPECT_LT(a.proposals[a.chosen].unmatched, a.unmatched_now);
  for (const auto& f : {"boxes.csv", "box_sizes.csv", "box_sizes.png", "priors.yaml"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/out/" + f)) << f;
  auto fitted = config::load_config_text(config::to_yaml(config), "base", {});
  const auto proposal = config::load_config_text(a.proposals[a.chosen].yaml, "priors.yaml", {});
  fitted.model.priors = proposal.model.priors;
  fitted.model.priors.preset = config.model.priors.preset;
  const auto model = builder::model(fitted);
  EXPECT_EQ(model->priors().size(0), a.proposals[a.chosen].default_boxes);
}

}  // namespace
}  // namespace ssd::analysis
