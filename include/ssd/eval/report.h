#pragma once
// The evaluation report: what people look at after a run, written to one folder.
//   per_class.csv       AP under each metric, ground-truth objects, detections, best F1 and its score threshold, and
//                       precision, recall, F1 and the true positives' mean IoU at one score threshold for every class
//                       (eval/operating_point.h), with an "all" row
//   pr_curves.png       precision against recall per class (VOC matching at IoU 0.5), the first panel the mean
//   f1_confidence.png   F1 against the score threshold per class, the best threshold marked; the first panel the mean
//   confusion_matrix.png / .csv   at a chosen IoU and score, with a background row and column (eval/confusion_matrix.h):
//                       counts; confusion_matrix_normalized.png / .csv: each row's shares
//   report.html         one self-contained page (images embedded) with the metrics, the table, the plots and the config
// ssd-eval writes it for what it scores; training writes it for the best checkpoint's validation.
#include <optional>
#include <string>
#include <vector>

#include "ssd/data/sample.h"
#include "ssd/eval/coco_eval.h"
#include "ssd/eval/confusion_matrix.h"
#include "ssd/eval/operating_point.h"
#include "ssd/eval/voc_eval.h"

namespace ssd::eval {

struct ReportOptions {
  std::string title;        ///< what was evaluated, e.g. "runs/shapes/best.pt on voc:data/shapes[val]"
  std::string config_yaml;  ///< the run's config, shown at the end of the page (empty: left out)
  double confusion_iou = 0.5, confusion_score = 0.25;
  std::optional<double> operating_score;  ///< precision and recall at this score; none: the best mean F1's
};

/// Best F1 of a class over score thresholds: the F1 and the threshold (the score of the last detection kept).
/// {0, NaN} when the curve is empty.
std::pair<double, double> best_f1(const PrCurve& curve);

/// The three metrics of one evaluation, computed once for the printed tables, the JSON and the report.
struct AllMetrics {
  VocResult voc07, voc;
  CocoResult coco;
};

/// Writes the report's files into `dir` (created) from the metrics of these detections (their PR curves, AP per
/// metric) and the confusion matrix it computes. Returns the path of report.html.
std::string write_report(const std::string& dir, const std::vector<data::Annotation>& ground_truth,
                         const std::vector<Detection>& detections, const std::vector<std::string>& class_names,
                         const AllMetrics& metrics, const ReportOptions& options);

}  // namespace ssd::eval
