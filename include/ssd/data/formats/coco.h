#pragma once
// COCO instances JSON (the layout <root>/annotations/instances_<split>.json with images in <root>/<split>/),
// read with nlohmann-json. Category ids map to the config's class list by name (data.classes, 1-based labels);
// bbox [x, y, w, h] in pixels becomes the continuous xyxy of data/sample.h; iscrowd objects are kept, flagged
// crowd (left out of training, crowd regions for the COCO metric); images without annotations are kept as
// background images. A bad annotation skips its image, with a message naming the file and the JSON path.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ssd/data/formats/registry.h"
#include "ssd/data/sample.h"

namespace ssd::data {

/// The annotation file and image folder of a COCO split.
std::pair<std::string, std::string> coco_paths(const std::string& root, const std::string& split);

/// What read_coco_instances reads from one file, parsed once.
struct CocoInstances {
  std::vector<std::string> classes;                ///< the class list labels index: the given one, or the file's names
  std::map<int64_t, int64_t> label_of_category;    ///< COCO category id -> 1-based label
  std::vector<Annotation> images;                  ///< every good image, in the file's order; id = COCO's image id
};

/// Every image of the file with its objects. `classes` empty means the file's category names in the file's order.
/// on_bad(file, reason) is called for each image skipped (the caller counts it or, strict, throws). Throws DataError
/// for a missing or malformed file, and for a category whose name is not in `classes`.
CocoInstances read_coco_instances(const std::string& json_path, const std::string& image_dir, const std::vector<std::string>& classes,
                                  const std::function<void(const std::string&, const std::string&)>& on_bad);

/// The categories of a COCO instances file as (id, name), in the file's order.
std::vector<std::pair<int64_t, std::string>> read_coco_categories(const std::string& json_path);

/// The number of images a COCO instances file lists (for the LR preview's loader length).
size_t count_coco_images(const std::string& json_path);

}  // namespace ssd::data
