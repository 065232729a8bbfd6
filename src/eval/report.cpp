#include "ssd/eval/report.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ssd/util/csv.h"
#include "ssd/util/error.h"
#include "ssd/util/heatmap.h"
#include "ssd/util/html.h"
#include "ssd/util/plot.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::eval {

std::pair<double, double> best_f1(const PrCurve& c) {
  double best = 0, threshold = std::nan("");
  for (size_t k = 0; k < c.score.size(); ++k) {
    const double p = c.precision[k], r = c.recall[k];
    const double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
    // Ties keep the higher threshold: fewer detections for the same F1.
    if (f1 > best) best = f1, threshold = c.score[k];
  }
  return {best, threshold};
}

namespace {

constexpr int kGridPoints = 101;  // 0, 0.01, ..., 1

// Precision and recall when only detections scoring >= threshold are kept.
std::pair<double, double> at_threshold(const PrCurve& c, double threshold) {
  const auto kept = std::upper_bound(c.score.begin(), c.score.end(), threshold, std::greater<>()) - c.score.begin();
  // upper_bound with greater<> finds the first score < threshold: scores equal to it are kept.
  if (kept == 0) return {1.0, 0.0};
  return {c.precision[kept - 1], c.recall[kept - 1]};
}

// The mean over the classes with objects of value(curve, x) at x = 0, 0.01, ..., 1.
template <typename Value>
util::Series mean_curve(const VocResult& r, Value value) {
  util::Series s;
  for (int i = 0; i < kGridPoints; ++i) {
    const double x = i / 100.0;
    double sum = 0;
    int n = 0;
    for (size_t c = 0; c < r.curves.size(); ++c)
      if (r.num_gt[c] > 0) sum += value(r.curves[c], x), ++n;
    s.x.push_back(x);
    s.y.push_back(n ? sum / n : std::nan(""));
  }
  return s;
}

// The "all classes" PR curve: the envelope precision at each recall.
util::Series mean_pr(const VocResult& r) {
  return mean_curve(r, [](const PrCurve& c, double recall) {
    double p = 0;
    for (size_t k = 0; k < c.recall.size(); ++k)
      if (c.recall[k] >= recall) p = std::max(p, c.precision[k]);
    return p;
  });
}

// The "all classes" F1 curve: F1 when detections below each score threshold are dropped.
util::Series mean_f1(const VocResult& r) {
  return mean_curve(r, [](const PrCurve& c, double threshold) {
    const auto [p, rec] = at_threshold(c, threshold);
    return p + rec > 0 ? 2 * p * rec / (p + rec) : 0.0;
  });
}

util::Panel unit_panel(const std::string& title, const std::string& x_label, const std::string& y_label) {
  util::Panel p;
  p.title = title;
  p.x_label = x_label;
  p.y_label = y_label;
  p.unit_range = true;
  p.x_min = 0, p.x_max = 1;
  p.empty_text = "no detections";
  return p;
}

std::string ap_text(double v) { return std::isnan(v) ? "n/a" : fmt::format("{:.3f}", v); }

void write_plots(const std::string& dir, const VocResult& voc, const OperatingPoints& points, const ConfusionMatrix& cm,
                 const std::vector<std::string>& names) {
  // A near-square grid, at most 5 panels wide (21 VOC panels: 5 x 5; 81 COCO ones: 5 x 17).
  const int columns = std::min(5, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(names.size() + 1)))));
  std::vector<util::Panel> pr, f1;
  {
    auto p = unit_panel(fmt::format("mean: mAP@0.5 {}", ap_text(voc.map)), "recall", "precision");
    p.series.push_back(mean_pr(voc));
    pr.push_back(p);
    auto f = unit_panel("", "score threshold", "F1");
    // The mean F1 at the report's threshold (the best mean F1's unless one was given), marked.
    double mean_f1_there = 0;
    int classes = 0;
    for (size_t c = 0; c < points.per_class.size(); ++c)
      if (voc.num_gt[c] > 0) mean_f1_there += std::isnan(points.per_class[c].f1) ? 0.0 : points.per_class[c].f1, ++classes;
    f.title = fmt::format("mean: F1 {:.3f} at {:.3f}", classes ? mean_f1_there / classes : 0.0, points.threshold);
    f.markers_x = {points.threshold};
    f.series.push_back(mean_f1(voc));
    f1.push_back(f);
  }
  for (size_t c = 0; c < names.size(); ++c) {
    const auto& curve = voc.curves[c];
    auto p = unit_panel(fmt::format("{}: AP {}", names[c], ap_text(voc.ap[c])), "recall", "precision");
    if (!curve.recall.empty()) p.series.emplace_back("", curve.recall, curve.precision);
    pr.push_back(p);
    const auto [best, threshold] = best_f1(curve);
    auto f = unit_panel(std::isnan(threshold) ? names[c] : fmt::format("{}: F1 {:.3f} at {:.2f}", names[c], best, threshold), "score threshold", "F1");
    std::vector<double> values;
    for (size_t k = 0; k < curve.score.size(); ++k) {
      const double pr_sum = curve.precision[k] + curve.recall[k];
      values.push_back(pr_sum > 0 ? 2 * curve.precision[k] * curve.recall[k] / pr_sum : 0);
    }
    if (!values.empty()) f.series.emplace_back("", curve.score, values);
    if (!std::isnan(threshold)) f.markers_x = {threshold};
    f1.push_back(f);
  }
  util::save_chart_grid((fs::path(dir) / "pr_curves.png").string(), pr, columns);
  util::save_chart_grid((fs::path(dir) / "f1_confidence.png").string(), f1, columns);

  // Confusion matrix, twice: the counts, and each row's shares (how each true class was predicted); cells shaded by
  // their share of the row in both.
  for (const bool normalized : {false, true}) {
    util::Heatmap h;
    h.title = normalized ? "confusion matrix, normalised by row" : "confusion matrix";
    h.subtitle = fmt::format("IoU >= {:.2f}, score >= {:.2f}; {}", cm.iou_threshold, cm.score_threshold,
                             normalized ? "each row's shares (a true class's objects, or the unmatched detections)" : "counts; shade: share of the row");
    h.row_axis = "true";
    h.column_axis = "predicted";
    h.row_labels = names;
    h.row_labels.push_back("background");
    h.column_labels = h.row_labels;
    for (const auto& row : cm.counts) {
      int64_t total = 0;
      for (int64_t v : row) total += v;
      std::vector<double> shade;
      std::vector<std::string> text;
      for (int64_t v : row) {
        const double share = total ? static_cast<double>(v) / total : 0.0;
        shade.push_back(share);
        text.push_back(!v ? "" : normalized ? fmt::format("{:.2f}", share) : std::to_string(v));
      }
      h.shade.push_back(shade);
      h.text.push_back(text);
    }
    util::save_heatmap((fs::path(dir) / (normalized ? "confusion_matrix_normalized.png" : "confusion_matrix.png")).string(), h);
  }
  write_confusion_csv((fs::path(dir) / "confusion_matrix.csv").string(), cm, names);
  write_confusion_csv((fs::path(dir) / "confusion_matrix_normalized.csv").string(), cm, names, /*normalized=*/true);
}

}  // namespace

std::string write_report(const std::string& dir, const std::vector<data::Annotation>& gt, const std::vector<Detection>& dets,
                         const std::vector<std::string>& names, const AllMetrics& metrics, const ReportOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw DataError(dir + ": cannot create the report folder (" + ec.message() + ")");
  const auto C = static_cast<int64_t>(names.size());
  const auto& [voc07, voc, coco] = metrics;
  const ConfusionMatrix cm = confusion_matrix(gt, dets, C, options.confusion_iou, options.confusion_score);
  const OperatingPoints points = operating_points(voc, options.operating_score);
  write_plots(dir, voc, points, cm, names);

  std::ostringstream csv;
  csv << "class,gt_objects,detections,ap_voc07,ap_voc,ap_coco,ap50_coco,best_f1,best_f1_score,score_threshold,true_positives,"
         "false_positives,missed,precision,recall,f1,mean_iou\n";
  auto cell = [](double v) { return std::isnan(v) ? std::string() : fmt::format("{:.6f}", v); };
  auto at_threshold_cells = [&](const OperatingPoint& p) {
    return fmt::format("{},{},{},{},{},{},{},{}", cell(points.threshold), p.true_positives, p.false_positives, p.missed, cell(p.precision),
                       cell(p.recall), cell(p.f1), cell(p.mean_iou));
  };
  auto at_threshold_html = [](const OperatingPoint& p) {
    return fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td>", ap_text(p.precision), ap_text(p.recall), ap_text(p.f1),
                       ap_text(p.mean_iou));
  };
  std::ostringstream rows;
  int64_t all_gt = 0, all_det = 0;
  for (size_t c = 0; c < names.size(); ++c) {
    const auto [f1, threshold] = best_f1(voc.curves[c]);
    csv << util::csv_quoted(names[c]) << "," << voc.num_gt[c] << "," << voc.num_det[c] << "," << cell(voc07.ap[c]) << "," << cell(voc.ap[c])
        << "," << cell(coco.ap[c]) << "," << cell(coco.ap50[c]) << "," << cell(f1) << "," << cell(threshold) << ","
        << at_threshold_cells(points.per_class[c]) << "\n";
    rows << fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>\n",
                        util::escape_html(names[c]), voc.num_gt[c], voc.num_det[c], ap_text(voc07.ap[c]), ap_text(voc.ap[c]),
                        ap_text(coco.ap[c]), ap_text(coco.ap50[c]), fmt::format("{:.3f}", f1),
                        std::isnan(threshold) ? "n/a" : fmt::format("{:.2f}", threshold), at_threshold_html(points.per_class[c]));
    all_gt += voc.num_gt[c], all_det += voc.num_det[c];
  }
  // All classes: mAP in the AP columns, the summed counts at the threshold.
  csv << "all," << all_gt << "," << all_det << "," << cell(voc07.map) << "," << cell(voc.map) << "," << cell(coco.map) << ","
      << cell(coco.stats[1]) << ",,," << at_threshold_cells(points.overall) << "\n";
  rows << fmt::format("<tr><th>all</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th><th></th>{}</tr>\n", all_gt,
                      all_det, ap_text(voc07.map), ap_text(voc.map), ap_text(coco.map), ap_text(coco.stats[1]),
                      at_threshold_html(points.overall));

  static const char* kStatNames[12] = {"AP@[.5:.95]", "AP50", "AP75", "AP small", "AP medium", "AP large",
                                       "AR@1",        "AR@10", "AR@100", "AR small", "AR medium", "AR large"};
  std::ostringstream coco_rows;
  for (int i = 0; i < 12; ++i) coco_rows << "<tr><td>" << kStatNames[i] << "</td><td>" << ap_text(coco.stats[i]) << "</td></tr>\n";

  util::write_text_file((fs::path(dir) / "per_class.csv").string(), csv.str());
  const std::string html_path = (fs::path(dir) / "report.html").string();
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>SSD evaluation: " << util::escape_html(options.title) << "</title>\n"
       << "<style>body{font-family:sans-serif;margin:2em;max-width:1500px}table{border-collapse:collapse;margin:1em 0}"
          "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
          "th{background:#f0f0f0}img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}pre{background:#f6f6f6;padding:1em;"
          "overflow:auto}.metrics td{min-width:6em}</style></head><body>\n"
       << "<h1>SSD evaluation</h1>\n<p>" << util::escape_html(options.title) << "<br>" << gt.size() << " images, " << dets.size()
       << " detections</p>\n"
       << "<h2>Metrics</h2>\n<table class=\"metrics\"><tr><th>metric</th><th>mAP</th></tr>\n"
       << "<tr><td>VOC07 11-point AP@0.5</td><td>" << ap_text(voc07.map) << "</td></tr>\n"
       << "<tr><td>VOC all-point AP@0.5</td><td>" << ap_text(voc.map) << "</td></tr>\n"
       << "<tr><td>COCO AP@[.5:.95]</td><td>" << ap_text(coco.map) << "</td></tr></table>\n"
       << "<details><summary>The 12 COCO numbers</summary><table>" << coco_rows.str() << "</table></details>\n"
       << "<h2>Per class</h2>\n<p>Precision, recall, F1 and the true positives' mean IoU at score &gt; "
       << fmt::format("{:.3f}", points.threshold)
       << (points.best_mean_f1 ? " (the best mean F1 over the classes)" : " (as given)")
       << ", matched as the VOC metric matches (IoU &ge; 0.5); the \"all\" row sums the classes' counts.</p>\n"
       << "<table><tr><th>class</th><th>objects</th><th>detections</th><th>VOC07 AP</th><th>VOC AP</th>"
          "<th>COCO AP</th><th>COCO AP50</th><th>best F1</th><th>at score</th><th>precision</th><th>recall</th><th>F1</th>"
          "<th>mean IoU</th></tr>\n"
       << rows.str() << "</table>\n"
       << "<h2>Precision and recall</h2>\n<img alt=\"precision-recall curves\" src=\"" << util::png_data_uri((fs::path(dir) / "pr_curves.png").string())
       << "\">\n<h2>F1 against the score threshold</h2>\n<p>Each class's panel marks the threshold of its best F1; the mean's "
          "panel marks the threshold of the table above (one for every class: a starting point for ssd-detect --score-thresh).</p>\n"
          "<img alt=\"F1 against confidence\" src=\""
       << util::png_data_uri((fs::path(dir) / "f1_confidence.png").string()) << "\">\n<h2>Confusion matrix</h2>\n"
       << "<p>Rows: the true class; columns: the predicted class. Background row: detections matching no object; background "
          "column: objects no detection found.</p>\n<img alt=\"confusion matrix\" src=\""
       << util::png_data_uri((fs::path(dir) / "confusion_matrix.png").string()) << "\">\n<img alt=\"confusion matrix, normalised by row\" src=\""
       << util::png_data_uri((fs::path(dir) / "confusion_matrix_normalized.png").string()) << "\">\n";
  if (!options.config_yaml.empty()) html << "<h2>Config</h2>\n<pre>" << util::escape_html(options.config_yaml) << "</pre>\n";
  html << "</body></html>\n";
  util::write_text_file(html_path, html.str());
  return html_path;
}

}  // namespace ssd::eval
