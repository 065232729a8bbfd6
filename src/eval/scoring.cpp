#include "ssd/eval/scoring.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <set>

#include "ssd/config/config.h"
#include "ssd/data/dataset.h"
#include "ssd/data/formats/coco.h"
#include "ssd/data/formats/registry.h"
#include "ssd/eval/detections_json.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::eval {

namespace {

// Detections of images the ground truth lacks are not scored: the VOC devkit and pycocotools refuse such a file,
// and counted as false positives they would lower every AP. A file that names none of its images is an error.
void drop_unknown_images(ScoringInput& in, const std::string& detections_path) {
  std::set<std::string> ids;
  for (const auto& a : in.ground_truth) ids.insert(a.id);
  std::vector<Detection> known;
  known.reserve(in.detections.size());
  std::set<std::string> unknown;
  for (auto& d : in.detections) {
    if (ids.count(d.image_id)) known.push_back(std::move(d));
    else unknown.insert(d.image_id);
  }
  const size_t dropped = in.detections.size() - known.size();
  if (dropped && known.empty())
    throw DataError(detections_path + ": none of its " + std::to_string(dropped) + " detections names an image of the ground truth (its image_id '" +
                    *unknown.begin() + "', the ground truth's '" + (ids.empty() ? std::string("(none)") : *ids.begin()) +
                    "'): check --gt, --split, and that image_id is the image's id or file stem");
  if (dropped)
    spdlog::warn("{}: {} of {} detections, on {} images the ground truth lacks (such as '{}'), are not scored", detections_path, dropped,
                 in.detections.size(), unknown.size(), *unknown.begin());
  in.detections = std::move(known);
}

// COCO ground truth: class names from its categories (or the given ones); ids in the detections are COCO's own.
ScoringInput read_coco(const std::string& detections_path, const GroundTruthSource& gt) {
  size_t skipped = 0;
  auto coco = data::read_coco_instances(gt.path, fs::path(gt.path).parent_path().string(), gt.classes,
                                        [&](const std::string& file, const std::string& why) {
                                          spdlog::warn("{}: {}", file, why);
                                          ++skipped;
                                        });
  ScoringInput in;
  if (skipped) in.skipped = std::to_string(skipped) + " ground-truth images skipped";
  if (coco.images.empty()) throw DataError(gt.path + ": no usable ground-truth image" + (skipped ? " (" + in.skipped + ")" : ""));
  in.classes = coco.classes;
  in.ground_truth = std::move(coco.images);
  in.detections = read_detections_json(detections_path, in.classes, &coco.label_of_category);
  // A file written without COCO's ids names images by file stem ("000000000139"): map those to the ids.
  std::map<std::string, std::string> id_of_stem;
  std::set<std::string> ids;
  for (const auto& a : in.ground_truth) {
    id_of_stem[fs::path(a.image_path).stem().string()] = a.id;
    ids.insert(a.id);
  }
  for (auto& d : in.detections)
    if (!ids.count(d.image_id) && id_of_stem.count(d.image_id)) d.image_id = id_of_stem[d.image_id];
  drop_unknown_images(in, detections_path);
  return in;
}

}  // namespace

ScoringInput read_scoring_input(const std::string& detections_path, const GroundTruthSource& gt) {
  if (fs::is_regular_file(gt.path) && fs::path(gt.path).extension() != ".yaml") return read_coco(detections_path, gt);
  data::DatasetOptions o;
  o.split = {gt.format.empty() ? data::detect_format(gt.path, gt.split) : gt.format, {gt.path}, {gt.split.empty() ? "all" : gt.split}};
  if (o.split.format == "voc" && gt.split.empty()) throw ConfigError("--split is needed for a VOC root (e.g. --split test)");
  o.classes = gt.classes.empty() ? config::voc_class_names() : gt.classes;
  o.keep_difficult = true;  // the metrics ignore them, as the devkit does
  o.role = "gt";
  o.require_images = false;
  const data::DetectionDataset dataset(o);
  ScoringInput in;
  in.classes = o.classes;
  in.ground_truth = dataset.annotations();
  in.detections = read_detections_json(detections_path, in.classes);
  in.skipped = dataset.report().summary();
  drop_unknown_images(in, detections_path);
  return in;
}

}  // namespace ssd::eval
