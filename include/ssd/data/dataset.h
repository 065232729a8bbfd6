#pragma once
// A detection data set: annotations parsed when it is opened, images decoded on demand.
// Bad samples are skipped and counted with the reason (or, with data.strict, the first one is fatal).
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ssd/config/config.h"
#include "ssd/data/formats/registry.h"
#include "ssd/data/sample.h"

namespace ssd::data {

/// What was skipped or fixed and why; shared by the data set and the loader threads. Each is logged and counted once
/// (the loader meets the same image again every epoch).
class SkipReport {
 public:
  /// Records one bad sample and logs a warning naming the file and the reason.
  void skip(const std::string& file, const std::string& reason);
  /// The same from a loading error's message, "file: reason" (DataError's form).
  void skip(const std::string& error_message);
  /// Records one object left out (the rest of its image kept): where (file:line) and why.
  void skip_object(const std::string& where, const std::string& reason);
  /// Records a value used after a fix (a box clipped to the image, the size taken from the pixels).
  void fixed(const std::string& where, const std::string& what);
  /// Records an image without objects (kept, as a background-only image).
  void note_empty(const std::string& file);
  size_t skipped() const;
  size_t skipped_objects() const;
  size_t fixes() const;
  size_t empty() const { return empty_; }
  /// "3 samples skipped (2 corrupt image, 1 malformed XML); 2 objects skipped (2 unknown class); 1 fix (1 clipped
  /// to the image); 1 image(s) without objects kept", the parts there are, or "".
  std::string summary() const;

 private:
  /// Counts of one kind of record by the kind of problem, and what was recorded (to count each once).
  struct Tally {
    std::map<std::string, size_t> by_kind;
    std::set<std::string> seen;
    size_t count = 0;
  };
  /// Counts `reason` in `tally` unless `key` was recorded there before; false when it was.
  bool record(Tally& tally, const std::string& reason, const std::string& key);
  mutable std::mutex mutex_;
  Tally samples_, objects_, fixes_;
  std::atomic<size_t> empty_{0};
};

/// What opening a split needs; builder::train_set / builder::val_set fill it from the config.
struct DatasetOptions {
  config::SplitConfig split;          ///< data.train or data.val: format, roots, split names
  std::vector<std::string> classes;   ///< data.classes
  bool keep_difficult = false;        ///< keep VOC difficult objects and COCO crowd regions (evaluation); training drops them
  bool strict = false;                ///< data.strict: the first bad sample is an error
  double val_fraction = 0.1;          ///< data.val_fraction (folder layout)
  uint64_t seed = 1;                  ///< runtime.seed (folder layout's split)
  std::string role = "train";         ///< "train", "val": names data.<role>.* in errors
  bool require_images = true;         ///< false: annotations only (scoring a detections file)
};

class DetectionDataset {
 public:
  /// Opens one split: every root in its format (data/formats/registry.h), bad files skipped and counted (or, strict,
  /// the first one an error). Throws DataError when a root or split file is missing, before any training starts.
  explicit DetectionDataset(const DatasetOptions& options);

  size_t size() const { return annotations_.size(); }
  const Annotation& annotation(size_t i) const { return annotations_[i]; }
  const std::vector<Annotation>& annotations() const { return annotations_; }
  /// Decodes image i (RGB). Throws DataError naming the file when it is missing or cannot be decoded.
  Sample load(size_t i) const;
  SkipReport& report() const { return *report_; }
  const std::vector<std::string>& classes() const { return classes_; }
  bool strict() const { return strict_; }
  /// "voc:/data/VOC2007[trainval]" per root, for logs.
  const std::string& description() const { return description_; }

 private:
  void add(Annotation annotation, const DatasetOptions& options, const OnBadFile& on_bad);
  std::vector<Annotation> annotations_;
  std::vector<std::string> classes_;
  std::shared_ptr<SkipReport> report_ = std::make_shared<SkipReport>();
  bool strict_ = false;
  std::string description_;
};

/// How many images a split lists (split files / folder stems), without parsing annotations or reading images:
/// what the LR preview needs to know the loader's length. Throws like DetectionDataset for missing roots.
size_t count_split_images(const config::SplitConfig& split, double val_fraction, uint64_t seed, const std::string& role);

}  // namespace ssd::data
