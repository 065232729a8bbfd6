// Precision, recall, F1 and the true positives' mean IoU at a score threshold, worked by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "ssd/eval/operating_point.h"
#include "eval/ground_truth.h"

namespace ssd::eval {
namespace {

using test::box;
using test::image;

Detection det(const std::string& id, int64_t label, double score, double x1, double y1, double x2, double y2) {
  return {id, label, score, x1, y1, x2, y2};
}

// Class 1: three objects (two in a, one in b), class 2: one (in a), and a difficult class-1 object in b.
//   class 1: 0.9 on a's first (IoU 1, true), 0.8 on it again (false: found already), 0.7 on b's (IoU 80 / 100, true),
//            0.4 on the difficult one (neither), 0.3 on a's second (IoU 50 / 100, true), 0.2 on nothing (false);
//   class 2: 0.6 on its object (IoU 1, true), 0.5 on nothing of its class (false).
const std::vector<data::Annotation> kTruth = {
    image("a", {box(0, 0, 10, 10, 1), box(20, 20, 30, 30, 1), box(40, 40, 50, 50, 2)}),
    image("b", {box(0, 0, 10, 10, 1), box(80, 80, 90, 90, 1, /*difficult=*/true)})};
const std::vector<Detection> kDetections = {
    det("a", 1, 0.9, 0, 0, 10, 10),  det("a", 1, 0.8, 0, 0, 10, 10),   det("b", 1, 0.7, 0, 0, 10, 8),
    det("b", 1, 0.4, 80, 80, 90, 90), det("a", 1, 0.3, 20, 20, 30, 25), det("b", 1, 0.2, 60, 60, 70, 70),
    det("a", 2, 0.6, 40, 40, 50, 50), det("a", 2, 0.5, 0, 0, 5, 5)};

void expect_point(const OperatingPoint& p, int64_t tp, int64_t fp, int64_t missed, double precision, double recall, double mean_iou) {
  EXPECT_EQ(p.true_positives, tp);
  EXPECT_EQ(p.false_positives, fp);
  EXPECT_EQ(p.missed, missed);
  EXPECT_NEAR(p.precision, precision, 1e-12);
  EXPECT_NEAR(p.recall, recall, 1e-12);
  EXPECT_NEAR(p.f1, 2 * precision * recall / (precision + recall), 1e-12);
  EXPECT_NEAR(p.mean_iou, mean_iou, 1e-12);
}

TEST(OperatingPoint, CountsAtAGivenThresholdByHand) {
  const auto voc = evaluate_voc(kTruth, kDetections, 2, false);
  // At 0.45: class 1 keeps 0.9, 0.8, 0.7 (2 true, 1 false, 1 missed); class 2 both (1 true, 1 false).
  const auto at_half = operating_points(voc, 0.45);
  EXPECT_FALSE(at_half.best_mean_f1);
  EXPECT_EQ(at_half.threshold, 0.45);
  expect_point(at_half.per_class[0], 2, 1, 1, 2.0 / 3, 2.0 / 3, (1.0 + 0.8) / 2);
  expect_point(at_half.per_class[1], 1, 1, 0, 0.5, 1.0, 1.0);
  expect_point(at_half.overall, 3, 2, 1, 3.0 / 5, 3.0 / 4, (1.0 + 0.8 + 1.0) / 3);
  // At 0.25: class 1 adds 0.3's true positive (IoU 0.5 exactly, a match); the difficult one's 0.4 counts nowhere.
  const auto low = operating_points(voc, 0.25);
  expect_point(low.per_class[0], 3, 1, 0, 3.0 / 4, 1.0, (1.0 + 0.8 + 0.5) / 3);
  // Kept above the threshold, as ssd-detect keeps them: at 0.7 exactly the 0.7 detection is out.
  EXPECT_EQ(operating_point(voc.curves[0], voc.num_gt[0], 0.7).true_positives, 1);
  EXPECT_EQ(operating_point(voc.curves[0], voc.num_gt[0], 0.69).true_positives, 2);
  // Nothing kept: precision undefined, recall 0; no objects: recall undefined.
  const auto none = operating_point(voc.curves[1], voc.num_gt[1], 0.95);
  EXPECT_TRUE(std::isnan(none.precision));
  EXPECT_EQ(none.recall, 0.0);
  EXPECT_TRUE(std::isnan(none.f1));
  EXPECT_TRUE(std::isnan(none.mean_iou));
  EXPECT_TRUE(std::isnan(operating_point(PrCurve{}, 0, 0.5).recall));
}

// The mean F1 over the classes by threshold (a detection kept above it): [0.2, 0.3) 0.762, [0.3, 0.5) 0.667, [0.5, 0.6)
// (class 2's false positive dropped) 0.833, [0.6, 0.7) 0.333 (class 2 has nothing). The best is 0.833, and of its
// thresholds on the grid the highest, 0.599.
TEST(OperatingPoint, TheDefaultThresholdHasTheBestMeanF1) {
  const auto voc = evaluate_voc(kTruth, kDetections, 2, false);
  EXPECT_DOUBLE_EQ(best_mean_f1_threshold(voc), 0.599);
  const auto best = operating_points(voc);
  EXPECT_TRUE(best.best_mean_f1);
  EXPECT_DOUBLE_EQ(best.threshold, 0.599);
  expect_point(best.per_class[1], 1, 0, 0, 1.0, 1.0, 1.0);
  EXPECT_NEAR((best.per_class[0].f1 + best.per_class[1].f1) / 2, (2.0 / 3 + 1.0) / 2, 1e-12);
}

}  // namespace
}  // namespace ssd::eval
