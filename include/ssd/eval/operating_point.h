#pragma once
// Precision, recall and F1 at one score threshold: what a detector does when it is deployed with that threshold
// (ssd-detect --score-thresh), beside AP, which averages over every threshold. Detections are matched as the VOC
// metric matches them (IoU >= 0.5 with the best object of their class, an object found twice giving a false positive,
// difficult objects counting neither way): per class from its PR curve, and over all classes from the summed counts
// (micro-averaged). A detection is kept when its score is above the threshold, as ssd-detect --score-thresh keeps it.
// The threshold is the user's, or the one with the best mean F1 over the classes with objects: one threshold for every
// class, as a deployed detector has one.
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "ssd/eval/voc_eval.h"

namespace ssd::eval {

struct OperatingPoint {
  int64_t true_positives = 0, false_positives = 0, missed = 0;
  double precision = std::nan("");  ///< NaN when no detection is kept
  double recall = std::nan("");     ///< NaN without objects
  double f1 = std::nan("");         ///< NaN when precision or recall is
  double mean_iou = std::nan("");   ///< of the true positives with their objects; NaN without true positives
};

struct OperatingPoints {
  double threshold = 0;
  bool best_mean_f1 = false;  ///< the threshold was chosen by the best mean F1 (else given)
  std::vector<OperatingPoint> per_class;  ///< index 0 = class 1
  OperatingPoint overall;
};

/// One class with num_gt objects, its detections scoring above `threshold` kept.
OperatingPoint operating_point(const PrCurve& curve, int64_t num_gt, double threshold);

/// The threshold on the grid 0, 0.001, ..., 0.999 whose mean F1 over the classes with objects is the best (the highest
/// of equal ones: fewer detections for the same F1); a class with no detection kept has F1 0.
double best_mean_f1_threshold(const VocResult& voc);

/// Every class, and all of them together, at `threshold`, or at best_mean_f1_threshold when none is given.
OperatingPoints operating_points(const VocResult& voc, std::optional<double> threshold = std::nullopt);

}  // namespace ssd::eval
