// The bootstrap of a validation figure: paired draws, and replicates worked out by hand from the draws.
#include <gtest/gtest.h>

#include <cmath>

#include "ssd/eval/bootstrap.h"

namespace ssd::eval {
namespace {

TEST(Bootstrap, DrawsArePairedAcrossCallsAndStayInRange) {
  const auto a = bootstrap_draw(50, 7, 11), b = bootstrap_draw(50, 7, 11);
  EXPECT_EQ(a, b);  // the same images for every model scored on the same data
  EXPECT_NE(a, bootstrap_draw(50, 8, 11));
  EXPECT_NE(a, bootstrap_draw(50, 7, 12));
  ASSERT_EQ(a.size(), 50u);
  for (const size_t i : a) EXPECT_LT(i, 50u);
  EXPECT_TRUE(bootstrap_draw(0, 0, 1).empty());
}

// Two images of one class, each with one object: image "hit" detected exactly, image "miss" not at all. A resample
// holding k copies of "hit" among its two images has recall k / 2 at precision 1, so its all-point AP is k / 2 and its
// VOC07 AP counts the arange ticks up to k / 2 (6 of 11 for k = 1, 11 of 11 for k = 2).
TEST(Bootstrap, VocMapOfEachResampleIsThatOfTheImagesItDrew) {
  data::Annotation hit{"hit", "", 100, 100, {{10, 10, 50, 50, 1}}};
  data::Annotation miss{"miss", "", 100, 100, {{20, 20, 60, 60, 1}}};
  const std::vector<data::Annotation> gt{hit, miss};
  const std::vector<Detection> dets{detection_from_xywh("hit", 1, 0.9, 10, 10, 40, 40)};
  const int replicates = 40;
  const auto all_point = bootstrap_voc_map(gt, dets, 1, false, replicates, 3);
  const auto voc07 = bootstrap_voc_map(gt, dets, 1, true, replicates, 3);
  ASSERT_EQ(all_point.size(), static_cast<size_t>(replicates));
  int seen[3] = {0, 0, 0};
  for (int r = 0; r < replicates; ++r) {
    const auto draw = bootstrap_draw(2, r, 3);
    const int k = (draw[0] == 0) + (draw[1] == 0);
    ++seen[k];
    EXPECT_DOUBLE_EQ(all_point[static_cast<size_t>(r)], k / 2.0) << "replicate " << r;
    EXPECT_NEAR(voc07[static_cast<size_t>(r)], k == 0 ? 0.0 : k == 1 ? 6.0 / 11 : 1.0, 1e-12) << "replicate " << r;
  }
  EXPECT_GT(seen[0] * seen[1] * seen[2], 0);  // 40 draws of two images meet every case
}

TEST(Bootstrap, MeanLossResamplesTheImages) {
  const std::vector<double> losses{8.0, 2.0, 9.0};
  const auto means = bootstrap_mean_loss(losses, 25, 5);
  ASSERT_EQ(means.size(), 25u);
  for (int r = 0; r < 25; ++r) {
    double sum = 0;
    for (const size_t i : bootstrap_draw(3, r, 5)) sum += losses[i];
    EXPECT_DOUBLE_EQ(means[static_cast<size_t>(r)], sum / 3);
  }
  EXPECT_TRUE(bootstrap_mean_loss({}, 10, 5).empty());
}

TEST(Bootstrap, ShareBetterCountsPairedWinsAndHalfTies) {
  EXPECT_DOUBLE_EQ(share_better({3, 2, 5, 1}, {1, 2, 4, 6}, true), (1 + 0.5 + 1 + 0) / 4);
  EXPECT_DOUBLE_EQ(share_better({3, 2, 5, 1}, {1, 2, 4, 6}, false), (0 + 0.5 + 0 + 1) / 4);
  EXPECT_TRUE(std::isnan(share_better({}, {}, true)));
  EXPECT_TRUE(std::isnan(share_better({1, 2}, {1}, true)));
  EXPECT_DOUBLE_EQ(standard_error({1, 2, 3, 4}), std::sqrt(5.0 / 3));
  EXPECT_TRUE(std::isnan(standard_error({1})));
}

}  // namespace
}  // namespace ssd::eval
