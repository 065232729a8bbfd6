#pragma once
// Pascal VOC detection metrics with the devkit's semantics (VOCevaldet.m):
//  - per class, detections from all images in descending score order (stable for ties);
//  - each is matched to the ground truth of its image with the highest IoU (matched or not); IoU >= 0.5 is a match
//    (the MATLAB devkit's ">="); a match with a "difficult" object counts neither way; a detection whose best
//    object is already taken is a false positive;
//  - AP: voc07 = mean over recall ticks 0, 0.1, ..., 1 of the best precision at recall >= the tick (11-point; the
//    ticks as voc_eval.py takes them, see Voc07Ticks);
//    voc = area under the monotone precision envelope (VOC2010+ all-point).
// Boxes use the continuous 0-based convention of data/sample.h, whose IoU equals the devkit's +1-pixel IoU
// on 1-based VOC coordinates. A class without ground truth has AP NaN (reported as null) and is left out of mAP.
#include <string>
#include <unordered_map>
#include <vector>

#include "ssd/data/sample.h"

namespace ssd::eval {

/// One detection, held in double from the results file (or the model) to the metric, as pycocotools and voc_eval.py
/// hold it: two scores that differ past float's 7 digits keep their order, and an IoU or an area exactly on a
/// threshold stays exactly on it.
struct Detection {
  std::string image_id;
  int64_t label = 0;  ///< 1-based class index
  double score = 0;
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;  ///< continuous 0-based pixels
  /// The COCO metric's area of the detection: the results file's w * h (pycocotools' loadRes), which (x + w) - x
  /// need not reproduce to the last bit. < 0: the corners' (x2 - x1) * (y2 - y1).
  double area = -1;
};

/// A detection as a results file gives it, bbox [x, y, w, h]: corners x + w and y + h, area w * h. The model's
/// detections are made through it too (from the bbox that ssd-detect writes), so that a model scores the same whether
/// its detections were written to a file first or not.
Detection detection_from_xywh(std::string image_id, int64_t label, double score, double x, double y, double w, double h);

/// The area the COCO metric uses for a detection (Detection::area, else the corners').
double coco_area(const Detection& d);

/// The recall ticks of the VOC07 11-point AP.
enum class Voc07Ticks {
  /// numpy.arange(0, 1.1, 0.1), as voc_eval.py (the evaluator of ssd.pytorch, detectron2 and mmdetection, whose
  /// numbers users compare against) takes them: its 4th, 7th and 8th values are 0.30000000000000004,
  /// 0.6000000000000001 and 0.7000000000000001, so a recall of exactly 0.3, 0.6 or 0.7 does not reach that tick.
  kArange,
  /// The exact tenths (i / 10): a recall of exactly 0.3 reaches the 0.3 tick.
  kExactTenths,
};

/// One class's precision and recall after each scored detection, in descending score order (detections matched
/// to difficult objects are left out, as the metric leaves them out): the PR curve and, through the scores, the
/// F1-against-confidence curve.
struct PrCurve {
  std::vector<double> score, recall, precision;
  std::vector<int64_t> true_positives;  ///< true positives up to here (cumulative)
  std::vector<double> iou_sum;          ///< the sum of the true positives' IoU with their objects up to here (cumulative)
};

struct VocResult {
  std::string metric;            ///< "voc07" or "voc"
  double map = 0;                ///< mean over classes with ground truth
  std::vector<double> ap;        ///< per class (index 0 = class 1); NaN without ground truth
  std::vector<int64_t> num_gt;   ///< non-difficult ground-truth objects per class
  std::vector<int64_t> num_det;  ///< detections per class
  std::vector<PrCurve> curves;   ///< per class
};

/// Position of each image id in `ground_truth`. Throws DataError when an id appears twice (detections could
/// not be told apart); every metric indexes ground truth through this.
std::unordered_map<std::string, size_t> index_ground_truth(const std::vector<data::Annotation>& ground_truth);

/// Area under a precision/recall curve given in detection order (recall non-decreasing).
double average_precision(const std::vector<double>& recall, const std::vector<double>& precision, bool use_07_metric,
                         Voc07Ticks ticks = Voc07Ticks::kArange);

/// Scores detections against ground truth; num_classes excludes background. Detections on images absent
/// from `ground_truth` count as false positives.
VocResult evaluate_voc(const std::vector<data::Annotation>& ground_truth, const std::vector<Detection>& detections,
                       int64_t num_classes, bool use_07_metric, double iou_threshold = 0.5, Voc07Ticks ticks = Voc07Ticks::kArange);

/// Per-class table with the metric's name in the header, AP in percent, and the mAP.
std::string format_table(const VocResult& result, const std::vector<std::string>& class_names);

}  // namespace ssd::eval
