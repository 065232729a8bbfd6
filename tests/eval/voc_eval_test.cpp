#include <gtest/gtest.h>

#include <cmath>

#include "ssd/eval/voc_eval.h"
#include "ssd/util/error.h"
#include "eval/ground_truth.h"

namespace ssd::eval {
namespace {

using test::box;
using test::image;

Detection det(const std::string& id, float score, float x1, float y1, float x2, float y2, int64_t label = 1) {
  return {id, label, score, x1, y1, x2, y2};
}

// Two objects; detections in score order: TP, FP (duplicate of the first object), TP.
// Precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
// All-point: envelope 1 up to recall 0.5, then 2/3 -> 0.5 * 1 + 0.5 * 2/3 = 0.8333.
// 11-point: recall 0..0.5 (6 points) precision 1, 0.6..1 (5 points) 2/3 -> (6 + 5 * 2/3) / 11 = 0.8485.
TEST(VocEval, HandWorkedTwoObjectsWithADuplicate) {
  const std::vector<data::Annotation> gt = {image("a", {box(0, 0, 10, 10)}), image("b", {box(20, 20, 40, 40)})};
  const std::vector<Detection> dets = {det("a", 0.9f, 0, 0, 10, 10), det("a", 0.8f, 1, 1, 10, 10), det("b", 0.7f, 20, 20, 40, 40)};
  EXPECT_NEAR(evaluate_voc(gt, dets, 1, false).ap[0], 0.5 + 0.5 * 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(evaluate_voc(gt, dets, 1, true).ap[0], (6 + 5 * 2.0 / 3.0) / 11.0, 1e-9);
}

TEST(VocEval, IouExactlyHalfIsAMatch) {
  // Detection (0,0,10,10) vs object (0,0,20,10): intersection 100, union 200 -> IoU 0.5 exactly: a match (devkit >=).
  const std::vector<data::Annotation> gt = {image("a", {box(0, 0, 20, 10)})};
  EXPECT_DOUBLE_EQ(evaluate_voc(gt, {det("a", 0.5f, 0, 0, 10, 10)}, 1, false).ap[0], 1.0);
  EXPECT_DOUBLE_EQ(evaluate_voc(gt, {det("a", 0.5f, 0, 0, 9, 10)}, 1, false).ap[0], 0.0);
}

TEST(VocEval, DifficultObjectsAreIgnoredBothWays) {
  const std::vector<data::Annotation> gt = {image("a", {box(0, 0, 10, 10), box(50, 50, 60, 60, 1, true)})};
  // A detection on the difficult object neither helps nor hurts; the class has one countable object.
  const auto r = evaluate_voc(gt, {det("a", 0.9f, 50, 50, 60, 60), det("a", 0.8f, 0, 0, 10, 10)}, 1, false);
  EXPECT_DOUBLE_EQ(r.ap[0], 1.0);
  EXPECT_EQ(r.num_gt[0], 1);
}

TEST(VocEval, ClassWithoutGroundTruthIsNullAndLeftOutOfTheMean) {
  const std::vector<data::Annotation> gt = {image("a", {box(0, 0, 10, 10, 1)}), image("empty", {})};
  const auto r = evaluate_voc(gt, {det("a", 0.9f, 0, 0, 10, 10, 1), det("empty", 0.9f, 0, 0, 5, 5, 2)}, 2, false);
  EXPECT_DOUBLE_EQ(r.ap[0], 1.0);
  EXPECT_TRUE(std::isnan(r.ap[1]));
  EXPECT_DOUBLE_EQ(r.map, 1.0);
}

TEST(VocEval, NoDetectionsGiveZeroAndTiesKeepInputOrder) {
  const std::vector<data::Annotation> gt = {image("a", {box(0, 0, 10, 10)})};
  EXPECT_DOUBLE_EQ(evaluate_voc(gt, {}, 1, false).ap[0], 0.0);
  // Equal scores: the false positive listed first is ranked first (stable order): precision 1/2 at recall 1.
  const auto r = evaluate_voc(gt, {det("a", 0.5f, 30, 30, 40, 40), det("a", 0.5f, 0, 0, 10, 10)}, 1, false);
  EXPECT_DOUBLE_EQ(r.ap[0], 0.5);
}

TEST(VocEval, DuplicateImageIdsAreAnError) {
  auto a = image("x", {box(0, 0, 10, 10)}), b = image("x", {box(5, 5, 10, 10)});
  a.image_path = "root1/x.jpg", b.image_path = "root2/x.jpg";
  EXPECT_THROW(evaluate_voc({a, b}, {}, 1, false), DataError);
}

// `found` of `objects` found first (precision 1), then nothing: recall ends at exactly found / objects.
double voc07_ap_with_recall(int found, int objects, Voc07Ticks ticks) {
  std::vector<data::Annotation> gt;
  std::vector<Detection> dets;
  for (int i = 0; i < objects; ++i) {
    gt.push_back(image(std::to_string(i), {box(0, 0, 10, 10)}));
    if (i < found) dets.push_back(det(std::to_string(i), 0.9f, 0, 0, 10, 10));
  }
  return evaluate_voc(gt, dets, 1, true, 0.5, ticks).ap[0];
}

// voc_eval.py's ticks are numpy.arange(0, 1.1, 0.1): 0, .1, .2, 0.30000000000000004, .4, .5, 0.6000000000000001,
// 0.7000000000000001, .8, .9, 1. A recall of exactly 0.3 (3 / 10, 6 / 20) reaches 3 of them where the exact tenths
// give 4; 0.6 reaches 6 (exact: 7), 0.7 reaches 7 (exact: 8). At precision 1 the AP is the ticks reached / 11.
TEST(VocEval, Voc07RecallExactlyOnATickMissesItAsInVocEvalPy) {
  EXPECT_DOUBLE_EQ(voc07_ap_with_recall(3, 10, Voc07Ticks::kArange), 3 / 11.0);
  EXPECT_DOUBLE_EQ(voc07_ap_with_recall(6, 20, Voc07Ticks::kArange), 3 / 11.0);
  EXPECT_DOUBLE_EQ(voc07_ap_with_recall(6, 10, Voc07Ticks::kArange), 6 / 11.0);
  EXPECT_DOUBLE_EQ(voc07_ap_with_recall(7, 10, Voc07Ticks::kArange), 7 / 11.0);
  EXPECT_DOUBLE_EQ(voc07_ap_with_recall(14, 20, Voc07Ticks::kArange), 7 / 11.0);
  // The default is voc_eval.py's.
  EXPECT_DOUBLE_EQ(average_precision({0.3}, {1.0}, true), 3 / 11.0);
  EXPECT_DOUBLE_EQ(voc07_ap_with_recall(3, 10, Voc07Ticks::kExactTenths), 4 / 11.0);
  EXPECT_DOUBLE_EQ(voc07_ap_with_recall(6, 10, Voc07Ticks::kExactTenths), 7 / 11.0);
  EXPECT_DOUBLE_EQ(voc07_ap_with_recall(7, 10, Voc07Ticks::kExactTenths), 8 / 11.0);
  // Elsewhere the two agree: 0.5 reaches 0 ... 0.5 under both; 0.8 reaches 9.
  for (const auto ticks : {Voc07Ticks::kArange, Voc07Ticks::kExactTenths}) {
    EXPECT_DOUBLE_EQ(voc07_ap_with_recall(5, 10, ticks), 6 / 11.0);
    EXPECT_DOUBLE_EQ(voc07_ap_with_recall(8, 10, ticks), 9 / 11.0);
  }
}

// Two scores that float32 cannot tell apart (0.5 and 0.5 + 1e-9) keep their order: the false positive scores higher
// and ranks first, so the object is found at precision 1/2. Held as float they would tie and the true positive,
// listed first, would rank first (AP 1).
TEST(VocEval, ScoresThatDifferPastFloatPrecisionKeepTheirOrder) {
  const std::vector<data::Annotation> gt = {image("a", {box(0, 0, 10, 10)}), image("b", {})};
  const std::vector<Detection> dets = {{"a", 1, 0.5, 0, 0, 10, 10}, {"b", 1, 0.5 + 1e-9, 0, 0, 10, 10}};
  ASSERT_EQ(static_cast<float>(dets[0].score), static_cast<float>(dets[1].score));
  EXPECT_DOUBLE_EQ(evaluate_voc(gt, dets, 1, false).ap[0], 0.5);
}

TEST(VocEval, AveragePrecisionOfAPerfectCurve) {
  EXPECT_DOUBLE_EQ(average_precision({0.5, 1.0}, {1.0, 1.0}, false), 1.0);
  EXPECT_DOUBLE_EQ(average_precision({0.5, 1.0}, {1.0, 1.0}, true), 1.0);
}

}  // namespace
}  // namespace ssd::eval
