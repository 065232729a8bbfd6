#pragma once
// Where a detector goes wrong: counts over (C + 1) x (C + 1) cells, rows the true class, columns the predicted
// class, the last row and column "background": a detection that matches no object lands in the background row
// (a false positive), an object that no detection matches in the background column (a miss).
// Per image, detections scoring >= score_threshold are paired with objects class-agnostically, the pair with the
// highest IoU first, each detection and object at most once, pairs below iou_threshold left unpaired (the way
// Ultralytics' and detectron2's confusion matrices pair them). Difficult objects and crowd regions, and the
// detections paired with them, count nowhere.
#include <cstdint>
#include <string>
#include <vector>

#include "ssd/data/sample.h"
#include "ssd/eval/voc_eval.h"

namespace ssd::eval {

struct ConfusionMatrix {
  double iou_threshold = 0.5, score_threshold = 0.25;
  /// counts[true][predicted], indices 0..C-1 for classes 1..C, index C for background.
  std::vector<std::vector<int64_t>> counts;
};

/// Detections on images absent from the ground truth count as false positives.
ConfusionMatrix confusion_matrix(const std::vector<data::Annotation>& ground_truth, const std::vector<Detection>& detections,
                                 int64_t num_classes, double iou_threshold = 0.5, double score_threshold = 0.25);

/// CSV with a header row of predicted classes and one row per true class (both end in "background"): the counts, or
/// with `normalized` each row's shares (empty cells in a row without counts).
void write_confusion_csv(const std::string& path, const ConfusionMatrix& matrix, const std::vector<std::string>& class_names,
                         bool normalized = false);

}  // namespace ssd::eval
