#include <gtest/gtest.h>

#include <cmath>

#include "ssd/eval/voc_eval.h"
#include "ssd/util/error.h"

namespace ssd::eval {
namespace {

data::Annotation image(const std::string& id, std::vector<data::Object> objects) {
  data::Annotation a;
  a.id = id;
  a.objects = std::move(objects);
  return a;
}
data::Object box(float x1, float y1, float x2, float y2, int64_t label = 1, bool difficult = false) {
  return {x1, y1, x2, y2, label, difficult};
}
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

TEST(VocEval, AveragePrecisionOfAPerfectCurve) {
  EXPECT_DOUBLE_EQ(average_precision({0.5, 1.0}, {1.0, 1.0}, false), 1.0);
  EXPECT_DOUBLE_EQ(average_precision({0.5, 1.0}, {1.0, 1.0}, true), 1.0);
}

}  // namespace
}  // namespace ssd::eval
