// ssd-eval: a checkpoint on a data set, or a detections file against ground truth -> VOC mAP tables and JSON.
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "ssd/data/coco.h"
#include "ssd/data/dataset.h"
#include "ssd/detect/detector.h"
#include "ssd/engine/runtime.h"
#include "ssd/eval/coco_eval.h"
#include "ssd/eval/detections_json.h"
#include "ssd/config/load.h"
#include "ssd/eval/evaluator.h"
#include "ssd/eval/report.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace {

nlohmann::json result_json(const ssd::eval::VocResult& r, const std::vector<std::string>& names) {
  auto number = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < r.ap.size(); ++c) per_class[names[c]] = number(r.ap[c]);
  return {{"metric", r.metric}, {"mAP", number(r.map)}, {"per_class", per_class}};
}

nlohmann::json coco_json(const ssd::eval::CocoResult& r, const std::vector<std::string>& names) {
  auto number = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json per_class = nlohmann::json::object(), stats = nlohmann::json::array();
  for (size_t c = 0; c < r.ap.size(); ++c) per_class[names[c]] = number(r.ap[c]);
  for (double v : r.stats) stats.push_back(number(v));
  return {{"metric", "coco"}, {"mAP", number(r.map)}, {"stats", stats}, {"per_class", per_class}};
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
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
  ssd::cli::CommonOptions common;
  ssd::cli::add_common_options(app, common);
  std::string checkpoint, data_root, split, format, dets_path, gt_root, classes_text, metric = "voc07", json_out;
  int64_t batch = 8;
  std::string report_dir;
  bool no_report = false;
  double conf_iou = 0.5, conf_score = 0.25;
  app.add_option("--checkpoint", checkpoint, "Checkpoint file or run directory (its last.pt); its config comes with it");
  app.add_option("--data", data_root, "Data root to evaluate on instead of the config's data.val");
  app.add_option("--split", split, "Split name (VOC: ImageSets/Main/<split>.txt; folder layout: train, val, all or splits/<split>.txt)");
  app.add_option("--format", format, "Layout of --data / --gt: voc, folder, coco or yolo (default: detected: data.yaml means yolo, annotations/instances_<split>.json coco)");
  app.add_option("--dets", dets_path, "Score this detections file (COCO results JSON, as ssd-detect --json-out writes) instead of a model");
  app.add_option("--gt", gt_root,
                 "Ground truth for --dets: a VOC root, a folder layout, a YOLO root (data.yaml; its images give the label scale), "
                 "or a COCO instances JSON file (then image_id and category_id are COCO's own ids); VOC and COCO need no images");
  app.add_option("--classes", classes_text, "Class names for --dets, comma-separated (default: the 20 VOC classes)");
  app.add_option("--metric", metric, "voc07 (11-point), voc (all-point), coco (AP@[.5:.95]) or all")
      ->check(CLI::IsMember({"voc07", "voc", "coco", "all"}))
      ->capture_default_str();
  app.add_option("--json-out", json_out,
                 "Write {\"metric\", \"mAP\", \"per_class\"} to this file (coco adds \"stats\": the 12 COCOeval numbers; "
                 "all: {\"results\": {\"voc07\": ..., \"voc\": ..., \"coco\": ...}}); null where nothing was scored");
  app.add_option("--batch", batch, "Images per forward pass")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--report", report_dir,
                 "Folder for the report: report.html (open it in a browser), per_class.csv, pr_curves.png, f1_confidence.png, "
                 "confusion_matrix.png/.csv (default: eval/ beside the checkpoint, or beside the --dets file)");
  app.add_flag("--no-report", no_report, "Print and write JSON only, no report folder");
  app.add_option("--confusion-iou", conf_iou, "IoU at which the confusion matrix pairs a detection with an object")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--confusion-score", conf_score, "Smallest score a detection needs to enter the confusion matrix")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();

  return ssd::cli::run_tool("ssd-eval", app, argc, argv, [&]() -> int {
    auto detect_format = [&](const std::string& root) {
      if (!format.empty()) return format;
      if (fs::exists(fs::path(root) / "data.yaml") || fs::path(root).extension() == ".yaml") return std::string("yolo");
      if (fs::is_directory(fs::path(root) / "annotations") && !split.empty() &&
          fs::exists(fs::path(root) / "annotations" / ("instances_" + split + ".json")))
        return std::string("coco");
      return fs::is_directory(fs::path(root) / "annotations") && !fs::is_directory(fs::path(root) / "Annotations") ? std::string("folder")
                                                                                                                    : std::string("voc");
    };
    std::vector<std::string> names;
    std::unique_ptr<ssd::data::DetectionDataset> dataset;
    std::vector<ssd::eval::Detection> detections;
    std::vector<ssd::data::Annotation> ground_truth;  // what is scored: the images that were run (or every one for --dets)
    ssd::eval::ReportOptions report_options;
    report_options.confusion_iou = conf_iou;
    report_options.confusion_score = conf_score;
    if (!dets_path.empty()) {
      if (!checkpoint.empty()) throw ssd::ConfigError("give either --checkpoint or --dets, not both");
      if (gt_root.empty()) throw ssd::ConfigError("--dets needs --gt (a VOC root, a folder layout, a YOLO root or a COCO instances JSON file)");
      report_options.title = dets_path + " against " + gt_root;
      if (report_dir.empty()) report_dir = (fs::path(dets_path).parent_path() / "eval").string();
      if (fs::is_regular_file(gt_root)) {
        // COCO ground truth: class names from its categories (or --classes); image_id and category_id in the
        // detections are COCO's own ids.
        size_t skipped = 0;
        auto coco = ssd::data::read_coco_instances(gt_root, fs::path(gt_root).parent_path().string(),
                                                   classes_text.empty() ? std::vector<std::string>{} : split_list(classes_text),
                                                   [&](const std::string& file, const std::string& why) {
                                                     spdlog::warn("{}: {}", file, why);
                                                     ++skipped;
                                                   });
        if (skipped) spdlog::warn("{} ground-truth images skipped", skipped);
        names = coco.classes;
        ground_truth = std::move(coco.images);
        const auto& labels = coco.label_of_category;
        detections = ssd::eval::read_detections_json(dets_path, names, &labels);
        // A file written without COCO's ids names images by file stem ("000000000139"): map those to the ids.
        std::map<std::string, std::string> id_of_stem;
        std::set<std::string> ids;
        for (const auto& a : ground_truth) {
          id_of_stem[fs::path(a.image_path).stem().string()] = a.id;
          ids.insert(a.id);
        }
        for (auto& d : detections)
          if (!ids.count(d.image_id) && id_of_stem.count(d.image_id)) d.image_id = id_of_stem[d.image_id];
      } else {
        names = classes_text.empty() ? ssd::config::voc_class_names() : split_list(classes_text);
        ssd::config::SplitConfig s{detect_format(gt_root), {gt_root}, {split.empty() ? "all" : split}};
        if (s.format == "voc" && split.empty()) throw ssd::ConfigError("--split is needed for a VOC root (e.g. --split test)");
        dataset = std::make_unique<ssd::data::DetectionDataset>(s, names, /*keep_difficult=*/true, false, 0.1, 1, "gt", false);
        detections = ssd::eval::read_detections_json(dets_path, names);
        ground_truth = dataset->annotations();
      }
    } else {
      if (checkpoint.empty()) throw ssd::ConfigError("give --checkpoint (a model to run) or --dets (a detections file to score)");
      c10::Device device(c10::kCPU);
      const auto overrides = ssd::cli::all_overrides(common);
      // Loaded on the CPU first: the device comes from the checkpoint's config (runtime.device) and the overrides.
      auto loaded = ssd::detect::load_model(checkpoint, overrides, c10::Device(c10::kCPU));
      spdlog::info("{}", ssd::engine::apply_runtime(loaded.config.runtime, &device));
      ssd::engine::place_model(*loaded.model, loaded.config, device);
      names = loaded.config.data.classes;
      auto s = loaded.config.data.val;
      if (!data_root.empty()) s = {detect_format(data_root), {data_root}, {split.empty() ? "val" : split}};
      else if (!split.empty()) s.splits = {split};
      if (s.roots.empty()) throw ssd::ConfigError("the checkpoint's config has no data.val.roots: give --data ROOT --split NAME");
      dataset = std::make_unique<ssd::data::DetectionDataset>(s, names, true, loaded.config.data.strict, loaded.config.data.val_fraction,
                                                              static_cast<uint64_t>(loaded.config.runtime.seed), "val");
      spdlog::info("evaluating on {} images from {}", dataset->size(), dataset->description());
      report_options.title = checkpoint + " on " + dataset->description();
      report_options.config_yaml = ssd::config::to_yaml(loaded.config);
      if (report_dir.empty())
        report_dir = ((fs::is_directory(checkpoint) ? fs::path(checkpoint) : fs::path(checkpoint).parent_path()) / "eval").string();
      detections = ssd::eval::predict(loaded.model, *dataset, loaded.config, device, batch, &ground_truth);
    }
    const auto classes = static_cast<int64_t>(names.size());
    // Each metric computed once: for its table and JSON when asked for, and for the report (which shows all three).
    auto wanted = [&](const char* m) { return !no_report || metric == m || metric == "all"; };
    ssd::eval::AllMetrics metrics;
    if (wanted("voc07")) metrics.voc07 = ssd::eval::evaluate_voc(ground_truth, detections, classes, true);
    if (wanted("voc")) metrics.voc = ssd::eval::evaluate_voc(ground_truth, detections, classes, false);
    if (wanted("coco")) metrics.coco = ssd::eval::evaluate_coco(ground_truth, detections, classes);
    nlohmann::json out;
    if (metric == "all") out["results"] = nlohmann::json::object();
    for (const std::string m : {"voc07", "voc", "coco"}) {
      if (metric != m && metric != "all") continue;
      nlohmann::json one;
      if (m == "coco") {
        std::cout << ssd::eval::format_coco_table(metrics.coco, names);
        one = coco_json(metrics.coco, names);
      } else {
        const auto& result = m == "voc07" ? metrics.voc07 : metrics.voc;
        std::cout << ssd::eval::format_table(result, names);
        one = result_json(result, names);
      }
      if (metric == "all") {
        out["results"][m] = one;
        std::cout << "\n";
      } else {
        out = one;
      }
    }
    if (!no_report) {
      const auto html = ssd::eval::write_report(report_dir, ground_truth, detections, names, metrics, report_options);
      spdlog::info("report: {} (per-class table, PR curves, F1 against score, confusion matrix)", html);
    }
    if (dataset && !dataset->report().summary().empty()) spdlog::warn("{}", dataset->report().summary());
    if (!json_out.empty()) {
      std::ofstream f(json_out);
      if (!f) throw ssd::DataError(json_out + ": cannot write");
      f << out.dump(2) << "\n";
      spdlog::info("wrote {}", json_out);
    }
    return 0;
  });
}
