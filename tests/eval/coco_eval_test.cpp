// The COCO metric on hand-worked cases, each with the number pycocotools' COCOeval gives by its rules.
#include <gtest/gtest.h>

#include <cmath>

#include "ssd/eval/coco_eval.h"
#include "ssd/util/error.h"

namespace ssd::eval {
namespace {

data::Object object(float x1, float y1, float x2, float y2, int64_t label = 1, bool crowd = false) {
  data::Object o;
  o.x1 = x1, o.y1 = y1, o.x2 = x2, o.y2 = y2, o.label = label, o.crowd = crowd;
  return o;
}

data::Annotation image(const std::string& id, std::vector<data::Object> objects) {
  data::Annotation a;
  a.id = id, a.width = a.height = 500;
  a.objects = std::move(objects);
  return a;
}

Detection det(const std::string& id, float score, float x1, float y1, float x2, float y2, int64_t label = 1) {
  return {id, label, score, x1, y1, x2, y2};
}

enum Stat { AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl };

TEST(CocoEval, PerfectDetectionAndEmptyAreaRangesAreNaN) {
  const auto r = evaluate_coco({image("a", {object(0, 0, 100, 100)})}, {det("a", 0.9f, 0, 0, 100, 100)}, 1);
  EXPECT_DOUBLE_EQ(r.stats[AP], 1.0);
  EXPECT_DOUBLE_EQ(r.stats[AP50], 1.0);
  EXPECT_DOUBLE_EQ(r.stats[APl], 1.0);  // 100 x 100 > 96^2
  EXPECT_TRUE(std::isnan(r.stats[APs]));  // no small objects: pycocotools prints -1
  EXPECT_TRUE(std::isnan(r.stats[APm]));
  EXPECT_DOUBLE_EQ(r.stats[AR1], 1.0);
  EXPECT_TRUE(std::isnan(r.stats[ARs]));
}

TEST(CocoEval, IouExactlyOnAThresholdMatches) {
  // IoU = 50 / 100 = 0.5: a match at 0.50 only, so AP = (1 + 9 x 0) / 10.
  const auto r = evaluate_coco({image("a", {object(0, 0, 10, 10)})}, {det("a", 0.9f, 0, 0, 10, 5)}, 1);
  EXPECT_DOUBLE_EQ(r.stats[AP50], 1.0);
  EXPECT_DOUBLE_EQ(r.stats[AP75], 0.0);
  EXPECT_NEAR(r.stats[AP], 0.1, 1e-12);
  EXPECT_NEAR(r.stats[APs], 0.1, 1e-12);  // area 100 is small
}

TEST(CocoEval, ThresholdsAreNumpysLinspaceToTheLastBit) {
  // IoU = 170 / 200 = 0.85 exactly (the double nearest 0.85). numpy.linspace(.5, .95, 10)[7] is that same double,
  // so pycocotools matches at 0.50 ... 0.85 (8 thresholds): AP = 0.8. "0.5 + 0.05 * 7" is one bit above it and
  // would give 0.7.
  const auto r = evaluate_coco({image("a", {object(0, 0, 20, 10)})}, {det("a", 0.9f, 0, 0, 17, 10)}, 1);
  EXPECT_NEAR(r.stats[AP], 0.8, 1e-12);
}

TEST(CocoEval, ADetectionOnACrowdRegionIsIgnoredNotAFalsePositive) {
  // The higher-scored detection lies inside the crowd region (crowd IoU = intersection / detection area = 1).
  const std::vector<data::Annotation> gt = {image("a", {object(0, 0, 50, 50), object(100, 100, 400, 400, 1, true)})};
  const std::vector<Detection> dets = {det("a", 0.95f, 150, 150, 200, 200), det("a", 0.9f, 0, 0, 50, 50)};
  EXPECT_DOUBLE_EQ(evaluate_coco(gt, dets, 1).stats[AP], 1.0);
  auto plain = gt;
  plain[0].objects[1].crowd = false;  // now it is a real object the small box does not match: a false positive first
  const auto r = evaluate_coco(plain, dets, 1);
  EXPECT_NEAR(r.stats[AP50], (51 * 0.5) / 101.0, 1e-12);  // recall 0.5 at precision 0.5, never reaches 1
  EXPECT_EQ(evaluate_coco(gt, dets, 1).num_gt[0], 1);
}

TEST(CocoEval, DuplicateDetectionIsAFalsePositive) {
  const std::vector<data::Annotation> gt = {image("a", {object(0, 0, 50, 50)}), image("b", {object(0, 0, 50, 50)})};
  const std::vector<Detection> dets = {det("a", 0.9f, 0, 0, 50, 50), det("a", 0.85f, 0, 0, 50, 50), det("b", 0.8f, 0, 0, 50, 50)};
  // TP (recall .5, precision 1), FP (.5, .5), TP (1, 2/3): envelope 1 up to recall .5, 2/3 above.
  EXPECT_NEAR(evaluate_coco(gt, dets, 1).stats[AP50], (51 * 1.0 + 50 * 2.0 / 3.0) / 101.0, 1e-12);
}

TEST(CocoEval, ScoreTiesFollowTheImageOrder) {
  // Same score: image a (listed first, a false positive) comes before image b (a true positive).
  const std::vector<data::Annotation> gt = {image("a", {}), image("b", {object(0, 0, 50, 50)})};
  const std::vector<Detection> dets = {det("b", 0.5f, 0, 0, 50, 50), det("a", 0.5f, 0, 0, 50, 50)};
  EXPECT_NEAR(evaluate_coco(gt, dets, 1).stats[AP50], 0.5, 1e-12);
}

TEST(CocoEval, ClassWithoutDetectionsCountsZeroClassWithoutObjectsIsLeftOut) {
  const std::vector<data::Annotation> gt = {image("a", {object(0, 0, 50, 50, 1), object(100, 100, 150, 150, 2)})};
  const auto r = evaluate_coco(gt, {det("a", 0.9f, 0, 0, 50, 50, 1)}, 3);
  EXPECT_DOUBLE_EQ(r.ap[0], 1.0);
  EXPECT_DOUBLE_EQ(r.ap[1], 0.0);
  EXPECT_TRUE(std::isnan(r.ap[2]));
  EXPECT_DOUBLE_EQ(r.map, 0.5);  // mean over classes 1 and 2
}

TEST(CocoEval, DetectionOnAnImageWithoutObjectsIsAFalsePositive) {
  const std::vector<data::Annotation> gt = {image("a", {object(0, 0, 50, 50)}), image("empty", {})};
  const std::vector<Detection> dets = {det("empty", 0.99f, 0, 0, 50, 50), det("a", 0.9f, 0, 0, 50, 50)};
  EXPECT_NEAR(evaluate_coco(gt, dets, 1).stats[AP50], 0.5, 1e-12);
}

TEST(CocoEval, MaxDetsLimitRecall) {
  const std::vector<data::Annotation> gt = {image("a", {object(0, 0, 50, 50), object(100, 100, 150, 150)})};
  const std::vector<Detection> dets = {det("a", 0.9f, 0, 0, 50, 50), det("a", 0.8f, 100, 100, 150, 150)};
  const auto r = evaluate_coco(gt, dets, 1);
  EXPECT_DOUBLE_EQ(r.stats[AR1], 0.5);
  EXPECT_DOUBLE_EQ(r.stats[AR10], 1.0);
}

TEST(CocoEval, AreaRangesIgnoreObjectsAndUnmatchedDetectionsOutsideThem) {
  // A small object (area 100) found, a large one (200 x 200) missed, and a large false positive.
  const std::vector<data::Annotation> gt = {image("a", {object(0, 0, 10, 10), object(100, 100, 300, 300)})};
  const std::vector<Detection> dets = {det("a", 0.9f, 0, 0, 10, 10), det("a", 0.8f, 300, 300, 450, 450)};
  const auto r = evaluate_coco(gt, dets, 1);
  EXPECT_DOUBLE_EQ(r.stats[APs], 1.0);   // the large false positive is outside "small": ignored there
  EXPECT_DOUBLE_EQ(r.stats[APl], 0.0);   // the large object was missed
  EXPECT_TRUE(std::isnan(r.stats[APm]));
  EXPECT_DOUBLE_EQ(r.stats[ARs], 1.0);
}

// Areas exactly 32^2 and 96^2 lie in both ranges they bound (pycocotools' ranges include both ends). A detection's
// area is its bbox's w * h as the results file gives it. An area recomputed from the corners misses the edge: at
// x = 100.3, (x + 32) - x is 32.000000000000014 in double; in float32 corners, at y = 0.1, 31.999998.
//   image a: A (0, 0, 32, 32) area 1024 and B (200, 200, 296, 296) area 9216; image b: E (0, 0, 96, 96), missed.
//   detections: D2 0.95 unmatched, area 1024; D1 0.9 on A; D3 0.8 on B (IoU 1 each, so every threshold agrees).
//   all:    objects A, B, E; D2 false, D1 true, D3 true: recall 0, 1/3, 2/3 at precision 0, 1/2, 2/3; the envelope
//           is 2/3 up to recall 2/3, reached by recall points 0 .. 0.66: AP = 67 * (2/3) / 101.
//   small:  A only (B and E ignored); D2 false (area 1024 is small), D1 true, D3 on the ignored B is ignored: AP 1/2.
//   medium: A, B, E (1024 and 9216 both medium); D2 false: as "all".
//   large:  B, E; D2 unmatched and outside the range: ignored; D1 on the ignored A: ignored; D3 true: recall 1/2 at
//           precision 1, reached by recall points 0 .. 0.5: AP = 51 / 101.
TEST(CocoEval, AreasExactlyOnARangeEdgeCountInBothRanges) {
  const std::vector<data::Annotation> gt = {image("a", {object(0, 0, 32, 32), object(200, 200, 296, 296)}),
                                            image("b", {object(0, 0, 96, 96)})};
  const std::vector<Detection> dets = {detection_from_xywh("a", 1, 0.95, 100.3, 0.1, 32, 32),
                                       detection_from_xywh("a", 1, 0.9, 0, 0, 32, 32),
                                       detection_from_xywh("a", 1, 0.8, 200, 200, 96, 96)};
  ASSERT_NE((dets[0].x2 - dets[0].x1) * (dets[0].y2 - dets[0].y1), 1024.0);  // the cases this test is about
  ASSERT_NE((static_cast<float>(dets[0].x2) - static_cast<float>(dets[0].x1)) * (static_cast<float>(dets[0].y2) - static_cast<float>(dets[0].y1)),
            1024.0f);
  const auto r = evaluate_coco(gt, dets, 1);
  EXPECT_NEAR(r.stats[AP], 67 * (2 / 3.0) / 101, 1e-12);
  EXPECT_NEAR(r.stats[APs], 0.5, 1e-12);
  EXPECT_NEAR(r.stats[APm], 67 * (2 / 3.0) / 101, 1e-12);
  EXPECT_NEAR(r.stats[APl], 51 / 101.0, 1e-12);
  EXPECT_NEAR(r.stats[AR100], 2 / 3.0, 1e-12);
  EXPECT_NEAR(r.stats[ARs], 1.0, 1e-12);
  EXPECT_NEAR(r.stats[ARm], 2 / 3.0, 1e-12);
  EXPECT_NEAR(r.stats[ARl], 0.5, 1e-12);
}

// An object's range comes from its annotated area (a segment's) when it has one, exactly on the edge too: a 100 x 100
// box annotated 9216 is medium and large; annotated 9216.5, large only.
TEST(CocoEval, AnObjectsAnnotatedAreaOnARangeEdge) {
  auto gt = std::vector<data::Annotation>{image("a", {object(0, 0, 100, 100)})};
  const std::vector<Detection> dets = {detection_from_xywh("a", 1, 0.9, 0, 0, 100, 100)};
  gt[0].objects[0].area = 9216;
  auto r = evaluate_coco(gt, dets, 1);
  EXPECT_DOUBLE_EQ(r.stats[APm], 1.0);
  EXPECT_DOUBLE_EQ(r.stats[APl], 1.0);
  EXPECT_DOUBLE_EQ(r.stats[ARm], 1.0);
  gt[0].objects[0].area = 9216.5f;
  r = evaluate_coco(gt, dets, 1);
  EXPECT_TRUE(std::isnan(r.stats[APm]));  // no medium object; the matched detection is ignored there
  EXPECT_DOUBLE_EQ(r.stats[APl], 1.0);
}

// IoU k / 20 for k = 10 ... 19 (a 20 x 1 object, a k x 1 detection) lies exactly on the (k - 10)th threshold of
// numpy.linspace(0.5, 0.95, 10) or above it (0.9 is 0.8999999999999999 there): a match at thresholds 0 ... k - 10,
// AP = (k - 9) / 10.
TEST(CocoEval, IouExactlyOnEveryThresholdMatches) {
  for (int k = 10; k < 20; ++k) {
    const auto r = evaluate_coco({image("a", {object(0, 0, 20, 1)})}, {detection_from_xywh("a", 1, 0.9, 0, 0, k, 1)}, 1);
    EXPECT_NEAR(r.stats[AP], (k - 9) / 10.0, 1e-12) << "IoU " << k << "/20";
  }
}

// Scores equal in float32 and different in double rank by the double: the false positive (0.5 + 1e-9) first.
TEST(CocoEval, ScoresThatDifferPastFloatPrecisionKeepTheirOrder) {
  const std::vector<data::Annotation> gt = {image("a", {object(0, 0, 50, 50)}), image("b", {})};
  const std::vector<Detection> dets = {detection_from_xywh("a", 1, 0.5, 0, 0, 50, 50), detection_from_xywh("b", 1, 0.5 + 1e-9, 0, 0, 50, 50)};
  ASSERT_EQ(static_cast<float>(dets[0].score), static_cast<float>(dets[1].score));
  EXPECT_NEAR(evaluate_coco(gt, dets, 1).stats[AP50], 0.5, 1e-12);
}

// A crowd region's IoU is the intersection over the detection's own area, w * h.
TEST(CocoEval, CrowdOverlapIsOverTheDetectionsArea) {
  // Detection 10 x 10 with half of it inside the crowd region: 0.5, a match at 0.50 only.
  const auto r = evaluate_coco({image("a", {object(0, 0, 40, 40), object(100, 100, 200, 200, 1, true)})},
                               {detection_from_xywh("a", 1, 0.95, 95, 100, 10, 10), detection_from_xywh("a", 1, 0.9, 0, 0, 40, 40)}, 1);
  // At 0.50 the first detection is on the crowd region (ignored): AP 1; above, it is a false positive first: 0.5 at
  // recall 1 for the other 9 thresholds.
  EXPECT_NEAR(r.stats[AP50], 1.0, 1e-12);
  EXPECT_NEAR(r.stats[AP], (1.0 + 9 * 0.5) / 10, 1e-12);
}

TEST(CocoEval, DuplicateImageIdsAreAnErrorAsInVoc) {
  EXPECT_THROW(evaluate_coco({image("x", {object(0, 0, 10, 10)}), image("x", {})}, {}, 1), DataError);
}

TEST(CocoEval, VocDifficultObjectsAreIgnoredAndTheTableNamesTheMetric) {
  auto gt = std::vector<data::Annotation>{image("a", {object(0, 0, 50, 50), object(100, 100, 150, 150)})};
  gt[0].objects[1].difficult = true;
  const auto r = evaluate_coco(gt, {det("a", 0.95f, 100, 100, 150, 150), det("a", 0.9f, 0, 0, 50, 50)}, 1);
  EXPECT_DOUBLE_EQ(r.stats[AP], 1.0);
  EXPECT_EQ(r.num_gt[0], 1);
  const auto table = format_coco_table(r, {"thing"});
  EXPECT_NE(table.find("COCO mAP"), std::string::npos);
  EXPECT_NE(table.find("area= small | maxDets=100 ] =   n/a"), std::string::npos);
}

}  // namespace
}  // namespace ssd::eval
