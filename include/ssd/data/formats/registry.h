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

/// Where a reader reports what it could not use, or used after a fix; the data set counts each kind (data.strict:
/// a bad file or a bad object is an error).
struct DataIssues {
  OnBadFile bad_file;    ///< a file that cannot be used at all, and why
  OnBadFile bad_object;  ///< one object left out, the rest of its image kept: where (file:line) and why
  OnBadFile fixed;       ///< a value used after a fix (a box clipped to the image): where and what was done
};

struct DataFormat {
  std::string name;
  std::string description;
  /// Every image of the split that has a readable annotation, with its objects (difficult and crowd ones flagged,
  /// not dropped). What cannot be used goes to `issues`. DataError for a missing root, split or annotation file.
  std::function<std::vector<Annotation>(const SplitSource&, const DataIssues& issues)> read;
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
