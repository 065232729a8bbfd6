#pragma once
// A detections file and the ground truth it is scored against (ssd-eval --dets --gt), read from any data format.
#include <string>
#include <vector>

#include "ssd/data/sample.h"
#include "ssd/eval/voc_eval.h"

namespace ssd::eval {

struct ScoringInput {
  std::vector<std::string> classes;
  std::vector<data::Annotation> ground_truth;
  std::vector<Detection> detections;
  std::string skipped;  ///< what the ground truth's reader skipped, "" when nothing
};

struct GroundTruthSource {
  std::string path;     ///< a COCO instances JSON file, or a data root of any format (no images needed for VOC and COCO)
  std::string format;   ///< the root's data format; "" = detected (data/formats/registry.h)
  std::string split;    ///< the root's split (VOC needs one); "" = all
  std::vector<std::string> classes;  ///< "" = COCO's categories, or the 20 VOC classes
};

/// Reads both. With a COCO instances file, image_id and category_id in the detections are COCO's own ids; detections
/// that name images by file stem ("000000000139", as ssd-detect writes them without --coco-categories) are matched
/// to the image with that file name. Detections of images the ground truth lacks are left out with a warning (none
/// left: DataError). Throws DataError / ConfigError naming the file or the option at fault.
ScoringInput read_scoring_input(const std::string& detections_path, const GroundTruthSource& ground_truth);

}  // namespace ssd::eval
