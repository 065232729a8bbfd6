#pragma once
// The COCO detection metric with pycocotools' COCOeval semantics (iouType "bbox"):
//  - per image and class, detections sorted by score (stable) and cut to the largest maxDets (100);
//  - IoU of a detection with a crowd region is intersection / detection area; with other objects the usual IoU;
//  - at each of the 10 IoU thresholds 0.50:0.05:0.95 a detection takes the best still-free object with
//    IoU >= threshold (crowd regions can take many; real objects are preferred over ignored ones); matched to
//    an ignored object (crowd, VOC difficult, or outside the area range) it is ignored, not a false positive;
//    an unmatched detection outside the area range is ignored too;
//  - precision at 101 recall points (0:0.01:1) from the monotone envelope, averaged over the points, the IoU
//    thresholds and the classes that have objects in the area range; recall at the last detection;
//  - area ranges all, small < 32^2, medium 32^2..96^2, large > 96^2 (areas from the annotation when it has one,
//    else the box), maxDets 1, 10, 100.
// Boxes in the continuous pixels of data/sample.h (no +1). Anything with nothing to score is NaN (pycocotools
// prints -1), never 0.
#include <array>
#include <string>
#include <vector>

#include "ssd/data/sample.h"
#include "ssd/eval/voc_eval.h"

namespace ssd::eval {

struct CocoResult {
  /// In pycocotools' order: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl.
  std::array<double, 12> stats{};
  double map = 0;                 ///< stats[0], AP@[.5:.95]
  std::vector<double> ap;         ///< AP@[.5:.95] per class (index 0 = class 1), NaN without objects
  std::vector<double> ap50;       ///< AP@.5 per class
  std::vector<int64_t> num_gt;    ///< objects per class that count (not crowd, not difficult)
};

/// Scores detections against ground truth (images in the ground truth's order, which breaks score ties as
/// pycocotools' sorted image ids do). Detections on images absent from the ground truth are false positives.
CocoResult evaluate_coco(const std::vector<data::Annotation>& ground_truth, const std::vector<Detection>& detections,
                         int64_t num_classes);

/// The 12 numbers in pycocotools' layout, then AP@[.5:.95] and AP@.5 per class; the metric named in the header.
std::string format_coco_table(const CocoResult& result, const std::vector<std::string>& class_names);

}  // namespace ssd::eval
