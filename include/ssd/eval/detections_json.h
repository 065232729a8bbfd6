#pragma once
// Detections as COCO results JSON: [{"image_id", "category_id", "category_name", "bbox": [x, y, w, h], "score"}].
// For VOC-style data image_id is the image's file stem (a string) and category_id the 1-based index in the
// class list; bbox is in original image pixels (0-based continuous, data/sample.h). ssd-detect writes this
// and ssd-eval --dets reads it.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ssd/eval/voc_eval.h"
#include "ssd/util/text_file.h"

namespace ssd::eval {

/// COCO's own ids, for a model trained on COCO data, so that the file scores against COCO's instances JSON (here
/// or in pycocotools) as it is: category_id is the category's COCO id, and an image_id made only of digits (COCO
/// names files by zero-padded id) is written as that number.
struct CocoIds {
  std::map<int64_t, int64_t> category_of_label;  ///< 1-based label -> COCO category id
};

/// The COCO ids of `classes` from a COCO instances file's categories, matched by name (ssd-detect --coco-categories).
/// DataError naming the file when a class has no category of its name.
CocoIds coco_ids_for_classes(const std::string& categories_json, const std::vector<std::string>& classes);

/// One entry of the file (ssd-serve answers with the same entries); coco_ids as below.
nlohmann::json detection_entry(const Detection& detection, const std::vector<std::string>& class_names, const CocoIds* coco_ids = nullptr);

/// Writes `detections`; with `coco_ids`, category_id and image_id are COCO's (see CocoIds), else the 1-based
/// label and the file stem. category_name is always written.
void write_detections_json(const std::string& path, const std::vector<Detection>& detections,
                           const std::vector<std::string>& class_names, const CocoIds* coco_ids = nullptr);

/// The same file written as the detections come (ssd-detect: a batch of images at a time), so that none of them
/// needs to be held; whole or not at all (util::AtomicFile). `coco_ids`, when given, must outlive the writer.
class DetectionsJsonWriter {
 public:
  DetectionsJsonWriter(const std::string& path, std::vector<std::string> class_names, const CocoIds* coco_ids = nullptr);
  void add(const std::vector<Detection>& detections);
  /// Ends the file and puts it in place.
  void commit();
  size_t count() const { return count_; }

 private:
  util::AtomicFile file_;
  std::vector<std::string> names_;
  const CocoIds* coco_ids_;
  size_t count_ = 0;
};

/// Reads a results file. A "category_name", where present, wins over "category_id". category_ids are 1-based
/// indices into class_names, or, with `category_labels` (COCO ground truth), COCO's own category ids mapped to
/// labels. Throws DataError naming the file and the entry index when an entry is malformed or names an unknown class.
std::vector<Detection> read_detections_json(const std::string& path, const std::vector<std::string>& class_names,
                                            const std::map<int64_t, int64_t>* category_labels = nullptr);

}  // namespace ssd::eval
