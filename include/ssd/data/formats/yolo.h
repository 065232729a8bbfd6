#pragma once
// The YOLO text format that Ultralytics and Roboflow export: a data.yaml naming the classes (`names`, a list or
// an {index: name} map) and, per split, an image folder, a .txt list of images, or a list of either (`train`,
// `val`, `test`, relative to `path` or to the data.yaml's folder); one labels/<stem>.txt beside each images/
// folder, a row `class cx cy w h` per object in coordinates normalised by the image size. A row with more than
// four coordinates is a segmentation polygon: its bounding box is the object. An image without a label file is
// a background image.
//
// Normalised rows need the image's size in pixels, which only the image file knows. Sizes are read once by
// decoding each image (in parallel) and cached in .ssd-cache/<split>.sizes.json beside data.yaml, keyed by the
// image's path, byte size and modification time, so a data set is decoded once rather than at every start (Ultralytics' labels
// cache does the same).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ssd/data/formats/registry.h"
#include "ssd/data/sample.h"

namespace ssd::data {

/// data.yaml as far as this project reads it.
struct YoloDataYaml {
  std::string file;                ///< the data.yaml path
  std::string base;                ///< folder that relative split paths start from (`path`, else the yaml's folder)
  std::vector<std::string> names;  ///< class names by YOLO class index
  /// Split key -> its entries (image folders or .txt lists, as written), for every key holding a path or a list of them.
  std::map<std::string, std::vector<std::string>> splits;
};

/// Reads <root>/data.yaml (or root itself when it is a .yaml file). Throws DataError naming the file and key.
YoloDataYaml read_yolo_data_yaml(const std::string& root);

/// The image files of a split, in sorted order: data.yaml's entry for the split name when it has one, else
/// <root>/images/<split>. Throws DataError naming data.yaml and the key when the folder or list is missing.
std::vector<std::string> yolo_split_images(const YoloDataYaml& yaml, const std::string& split);

/// The label file of an image: its last "images" path component replaced by "labels", extension .txt.
std::string yolo_label_path(const std::string& image_path);

/// Every image of the split with its objects in pixels (labels mapped through data.yaml's names to the 1-based
/// index of `classes`). on_bad(file, reason) is called for each image skipped: an undecodable image, or a label
/// row that is malformed (reason names the line), has a class index outside `names`, or lies outside [0, 1].
/// Throws DataError when a class name of data.yaml is not in `classes`.
std::vector<Annotation> read_yolo_split(const std::string& root, const std::string& split, const std::vector<std::string>& classes,
                                        const OnBadFile& on_bad);

}  // namespace ssd::data
