#pragma once
// The data formats of data.train.format / data.val.format: how one root's split becomes annotations. Each format
// lives in its own file (data/formats/<name>.cpp) with a function <name>_format() that returns its entry; the registry
// (src/data/formats/registry.cpp) lists those functions. A new format is its file plus its line in the registry;
// the data set (data/dataset.h) does the rest (missing images, difficult objects, the skip report).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ssd/data/sample.h"
#include "ssd/util/registry.h"

namespace ssd::data {

/// One root and split to read, and what reading it needs.
struct SplitSource {
  std::string root;
  std::string split;
  std::vector<std::string> classes;  ///< the names of labels 1..N
  double val_fraction = 0.1;         ///< data.val_fraction (the folder layout without split files)
  uint64_t seed = 1;                 ///< runtime.seed (the same)
};

/// Called for each bad file: its path and why (the data set counts it, or with data.strict stops).
using OnBadFile = std::function<void(const std::string& file, const std::string& reason)>;

struct DataFormat {
  std::string name;
  std::string description;
  /// Every image of the split that has a readable annotation, with its objects (difficult and crowd ones flagged,
  /// not dropped). Bad annotation files go to on_bad. DataError for a missing root, split or annotation file.
  std::function<std::vector<Annotation>(const SplitSource&, const OnBadFile&)> read;
  /// How many images the split lists, without reading annotations or images (the LR preview's loader length).
  std::function<size_t(const SplitSource&)> count;
  /// True when `root` holds a split `split` in this format (ssd-eval --data / --gt without --format). Empty for voc, the
  /// default layout: a root is voc when no other format recognises it.
  std::function<bool(const std::string& root, const std::string& split)> recognises;
};

const util::Registry<DataFormat>& format_registry();

/// The format of `root`: the first registered one that recognises it with `split`, else voc (the default layout).
/// Each recogniser looks for its own marker (data.yaml, instances_<split>.json, annotations/ without Annotations/), so
/// a root that holds one of them beside a VOC tree, or a COCO root on a case-insensitive file system, is not voc.
std::string detect_format(const std::string& root, const std::string& split);

}  // namespace ssd::data
