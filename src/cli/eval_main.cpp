// ssd-eval: a checkpoint on a data set, or a detections file against ground truth -> VOC and COCO mAP tables, JSON and
// the report folder.
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "ssd/builder/data.h"
#include "ssd/data/dataset.h"
#include "ssd/data/formats/registry.h"
#include "ssd/detect/detector.h"
#include "ssd/eval/coco_eval.h"
#include "ssd/eval/evaluator.h"
#include "ssd/eval/operating_point.h"
#include "ssd/eval/sliced_inference.h"
#include "ssd/eval/report.h"
#include "ssd/eval/scoring.h"
#include "ssd/config/load.h"
#include "ssd/runtime/runtime.h"
#include "ssd/util/error.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace {

struct EvalOptions {
  ssd::cli::CommonOptions common;
  std::string checkpoint, data_root, split, format, dets_path, gt_root, classes_text, metric = "voc07", json_out, report_dir;
  std::string voc07_ticks = "arange";
  int64_t batch = 8;
  bool no_report = false;
  double conf_iou = 0.5, conf_score = 0.25;
  std::optional<double> pr_score;
};

void add_eval_options(CLI::App& app, EvalOptions& o) {
  ssd::cli::add_config_options(app, o.common, /*with_config_file=*/false);
  ssd::cli::add_slicing_options(app, o.common);
  app.add_option("--checkpoint", o.checkpoint, "Checkpoint file or run directory (its last.pt); its config comes with it");
  app.add_option("--data", o.data_root, "Data root to evaluate on instead of the config's data.val");
  app.add_option("--split", o.split, "Split name (VOC: ImageSets/Main/<split>.txt; folder layout: train, val, all or splits/<split>.txt)");
  app.add_option("--format", o.format,
                 "Layout of --data / --gt (ssd-train --list-formats); default: detected (data.yaml means yolo, "
                 "annotations/instances_<split>.json coco)");
  app.add_option("--dets", o.dets_path, "Score this detections file (COCO results JSON, as ssd-detect --json-out writes) instead of a model");
  app.add_option("--gt", o.gt_root,
                 "Ground truth for --dets: a VOC root, a folder layout, a YOLO root (data.yaml; its images give the label scale), "
                 "or a COCO instances JSON file (then image_id and category_id are COCO's own ids); VOC and COCO need no images");
  app.add_option("--classes", o.classes_text, "Class names for --dets, comma-separated (default: the 20 VOC classes)");
  app.add_option("--metric", o.metric, "voc07 (11-point), voc (all-point), coco (AP@[.5:.95]) or all")
      ->check(CLI::IsMember({"voc07", "voc", "coco", "all"}))
      ->capture_default_str();
  app.add_option("--voc07-ticks", o.voc07_ticks,
                 "Recall ticks of the VOC07 11-point AP: arange = numpy.arange(0, 1.1, 0.1), as voc_eval.py (ssd.pytorch, "
                 "detectron2, mmdetection) takes them, where 0.3, 0.6 and 0.7 lie one bit above the tenths, so a recall of "
                 "exactly 0.3 misses that tick; exact = the exact tenths")
      ->check(CLI::IsMember({"arange", "exact"}))
      ->capture_default_str();
  app.add_option("--json-out", o.json_out,
                 "Write {\"metric\", \"mAP\", \"per_class\"} to this file (coco adds \"stats\": the 12 COCOeval numbers; "
                 "all: {\"results\": {\"voc07\": ..., \"voc\": ..., \"coco\": ...}}), and, where VOC is scored (always with "
                 "a report), \"operating_point\": precision, recall and F1 at one score threshold (--pr-score); null where nothing "
                 "was scored");
  app.add_option("--batch", o.batch, "Images per forward pass (tiles per forward pass with --sliced)")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--report", o.report_dir,
                 "Folder for the report: report.html (open it in a browser), per_class.csv, pr_curves.png, f1_confidence.png, "
                 "confusion_matrix.png/.csv (default: eval/ beside the checkpoint, or beside the --dets file)");
  app.add_flag("--no-report", o.no_report, "Print and write JSON only, no report folder");
  app.add_option("--confusion-iou", o.conf_iou, "IoU at which the confusion matrix pairs a detection with an object")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--confusion-score", o.conf_score, "Smallest score a detection needs to enter the confusion matrix")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--pr-score", o.pr_score,
                 "Precision, recall, F1 and the true positives' mean IoU at this score threshold, per class and for all classes "
                 "(printed, in the JSON and in per_class.csv; default: the threshold with the best mean F1, a starting point "
                 "for ssd-detect --score-thresh)")
      ->check(CLI::Range(0.0, 1.0));
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// What is scored, from either source, and the report's title and config.
struct Scored {
  ssd::eval::ScoringInput input;
  ssd::eval::ReportOptions report;
};

Scored from_detections_file(EvalOptions& o) {
  if (!o.checkpoint.empty()) throw ssd::ConfigError("give either --checkpoint or --dets, not both");
  if (o.common.print_config) throw ssd::ConfigError("--print-config prints a checkpoint's config (with --set applied): give --checkpoint");
  if (o.gt_root.empty()) throw ssd::ConfigError("--dets needs --gt (a VOC root, a folder layout, a YOLO root or a COCO instances JSON file)");
  Scored s;
  s.input = ssd::eval::read_scoring_input(o.dets_path, {o.gt_root, o.format, o.split, split_list(o.classes_text)});
  s.report.title = o.dets_path + " against " + o.gt_root;
  if (o.report_dir.empty()) o.report_dir = (fs::path(o.dets_path).parent_path() / "eval").string();
  return s;
}

Scored from_checkpoint(EvalOptions& o, const ssd::detect::LoadedModel& loaded, c10::Device device) {
  auto split = loaded.config.data.val;
  if (!o.data_root.empty())
    split = {o.format.empty() ? ssd::data::detect_format(o.data_root, o.split) : o.format, {o.data_root}, {o.split.empty() ? "val" : o.split}};
  else if (!o.split.empty()) split.splits = {o.split};
  if (split.roots.empty()) throw ssd::ConfigError("the checkpoint's config has no data.val.roots: give --data ROOT --split NAME");
  const ssd::data::DetectionDataset dataset(ssd::builder::dataset_options(loaded.config, split, "val", /*keep_difficult=*/true));
  spdlog::info("evaluating on {} images from {}", dataset.size(), dataset.description());
  if (loaded.config.tiling.infer)
    spdlog::info("{}", ssd::eval::describe_slicing(loaded.config.tiling, loaded.config.model.image_size));
  Scored s;
  s.input.classes = loaded.config.data.classes;
  auto model = loaded.model;
  s.input.detections = ssd::eval::predict(model, dataset, ssd::builder::eval_options(loaded.config, o.batch, false), device, &s.input.ground_truth);
  s.input.skipped = dataset.report().summary();
  s.report.title = o.checkpoint + " on " + dataset.description();
  s.report.config_yaml = ssd::config::to_yaml(loaded.config);
  if (o.report_dir.empty())
    o.report_dir = ((fs::is_directory(o.checkpoint) ? fs::path(o.checkpoint) : fs::path(o.checkpoint).parent_path()) / "eval").string();
  return s;
}

nlohmann::json number(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

nlohmann::json per_class_json(const std::vector<double>& ap, const std::vector<std::string>& names) {
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < ap.size(); ++c) per_class[names[c]] = number(ap[c]);
  return per_class;
}

nlohmann::json operating_point_json(const ssd::eval::OperatingPoint& p) {
  return {{"true_positives", p.true_positives}, {"false_positives", p.false_positives}, {"missed", p.missed},
          {"precision", number(p.precision)}, {"recall", number(p.recall)}, {"f1", number(p.f1)}, {"mean_iou", number(p.mean_iou)}};
}

// Precision and recall at one threshold for all classes, printed in a line, and their JSON with every class's.
nlohmann::json print_operating_points(const ssd::eval::OperatingPoints& points, const std::vector<std::string>& names) {
  const auto& a = points.overall;
  auto text = [](double v) { return std::isnan(v) ? std::string("n/a") : fmt::format("{:.3f}", v); };
  std::cout << fmt::format("at score > {:.3f}{}: precision {}, recall {}, F1 {}, true positives' mean IoU {} ({} true positives, {} "
                           "false, {} objects missed; all classes, IoU >= 0.5)\n",
                           points.threshold, points.best_mean_f1 ? " (the best mean F1)" : "", text(a.precision), text(a.recall),
                           text(a.f1), text(a.mean_iou), a.true_positives, a.false_positives, a.missed);
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < names.size(); ++c) per_class[names[c]] = operating_point_json(points.per_class[c]);
  return {{"score_threshold", points.threshold}, {"chosen_by", points.best_mean_f1 ? "best mean F1" : "--pr-score"},
          {"iou_threshold", 0.5}, {"all", operating_point_json(a)}, {"per_class", per_class}};
}

// Prints each metric asked for (each computed once: the report shows all three) and returns the JSON of them.
nlohmann::json print_metrics(const EvalOptions& o, const ssd::eval::AllMetrics& metrics, const std::vector<std::string>& names) {
  nlohmann::json out;
  if (o.metric == "all") out["results"] = nlohmann::json::object();
  for (const std::string m : {"voc07", "voc", "coco"}) {
    if (o.metric != m && o.metric != "all") continue;
    nlohmann::json one;
    if (m == "coco") {
      std::cout << ssd::eval::format_coco_table(metrics.coco, names);
      nlohmann::json stats = nlohmann::json::array();
      for (double v : metrics.coco.stats) stats.push_back(number(v));
      one = {{"metric", "coco"}, {"mAP", number(metrics.coco.map)}, {"stats", stats}, {"per_class", per_class_json(metrics.coco.ap, names)}};
    } else {
      const auto& result = m == "voc07" ? metrics.voc07 : metrics.voc;
      std::cout << ssd::eval::format_table(result, names);
      one = {{"metric", result.metric}, {"mAP", number(result.map)}, {"per_class", per_class_json(result.ap, names)}};
    }
    if (o.metric == "all") {
      out["results"][m] = one;
      std::cout << "\n";
    } else {
      out = one;
    }
  }
  return out;
}

int evaluate(EvalOptions& o) {
  Scored s;
  if (!o.dets_path.empty()) {
    s = from_detections_file(o);
  } else {
    if (o.checkpoint.empty()) throw ssd::ConfigError("give --checkpoint (a model to run) or --dets (a detections file to score)");
    // Loaded on the CPU first: the device comes from the checkpoint's config (runtime.device) and the overrides.
    auto loaded = ssd::detect::load_model(o.checkpoint, ssd::cli::all_overrides(o.common), c10::Device(c10::kCPU));
    if (ssd::cli::handle_print_config(o.common, loaded.config)) return 0;
    c10::Device device(c10::kCPU);
    spdlog::info("{}", ssd::runtime::apply_runtime(loaded.config.runtime, &device));
    ssd::runtime::place_model(*loaded.model, loaded.config.runtime.memory_format, loaded.config.train.amp, device);
    s = from_checkpoint(o, loaded, device);
  }
  const auto& in = s.input;
  const auto classes = static_cast<int64_t>(in.classes.size());
  auto wanted = [&](const char* m) { return !o.no_report || o.metric == m || o.metric == "all"; };
  ssd::eval::AllMetrics metrics;
  const auto ticks = o.voc07_ticks == "exact" ? ssd::eval::Voc07Ticks::kExactTenths : ssd::eval::Voc07Ticks::kArange;
  if (wanted("voc07")) metrics.voc07 = ssd::eval::evaluate_voc(in.ground_truth, in.detections, classes, true, 0.5, ticks);
  if (wanted("voc")) metrics.voc = ssd::eval::evaluate_voc(in.ground_truth, in.detections, classes, false);
  if (wanted("coco")) metrics.coco = ssd::eval::evaluate_coco(in.ground_truth, in.detections, classes);
  auto json = print_metrics(o, metrics, in.classes);
  if (wanted("voc")) json["operating_point"] = print_operating_points(ssd::eval::operating_points(metrics.voc, o.pr_score), in.classes);
  if (!o.no_report) {
    s.report.confusion_iou = o.conf_iou, s.report.confusion_score = o.conf_score;
    s.report.operating_score = o.pr_score;
    const auto html = ssd::eval::write_report(o.report_dir, in.ground_truth, in.detections, in.classes, metrics, s.report);
    spdlog::info("report: {} (per-class table, PR curves, F1 against score, confusion matrix)", html);
  }
  if (!in.skipped.empty()) spdlog::warn("{}", in.skipped);
  if (!o.json_out.empty()) {
    ssd::util::write_text_file(o.json_out, json.dump(2) + "\n");
    spdlog::info("wrote {}", o.json_out);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-eval: evaluate detections with the Pascal VOC metrics (devkit semantics) and the COCO metric\n"
      "(pycocotools semantics), side by side with --metric all.\n\n"
      "Examples:\n"
      "  ssd-eval --checkpoint runs/shapes/best.pt                         # the run's own val split\n"
      "  ssd-eval --checkpoint runs/shapes --data data/VOC2007 --split test --metric voc07 --json-out ap.json\n"
      "  ssd-eval --dets dets.json --gt data/VOC2007 --split test --metric voc   # score a file, no model, no images\n"
      "  ssd-eval --dets results.json --gt annotations/instances_val2017.json --metric coco   # COCO ground truth\n"
      "  ssd-eval --checkpoint runs/yolo --data datasets/mine --split val    # a YOLO data set (data.yaml)\n\n"
      "Every run also writes a report folder (--report; default eval/ beside the checkpoint): report.html with the\n"
      "per-class table, precision-recall curves, F1 against the score threshold and a confusion matrix.\n\n"
      "Metrics: voc07 = VOC2007 11-point AP@0.5, voc = all-point AP@0.5 (VOC2010+), both with difficult objects\n"
      "ignored; coco = AP@[.5:.95] with the 12 COCOeval numbers (101-point precision, 10 IoU thresholds, area ranges,\n"
      "maxDets 1/10/100; difficult objects and crowd regions ignored); all = the three, each labelled.",
      "ssd-eval"};
  EvalOptions o;
  add_eval_options(app, o);
  return ssd::cli::run_tool("ssd-eval", app, argc, argv, [&] { return evaluate(o); });
}
