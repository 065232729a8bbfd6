#pragma once
// A detection data set: annotations parsed when it is opened, images decoded on demand.
// Bad samples are skipped and counted with the reason (or, with data.strict, the first one is fatal).
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ssd/config/config.h"
#include "ssd/data/sample.h"

namespace ssd::data {

/// What was skipped and why; shared by the data set and the loader threads.
class SkipReport {
 public:
  /// Records one bad sample and logs a warning naming the file and the reason.
  void skip(const std::string& file, const std::string& reason);
  /// Records an image without objects (kept, as a background-only image).
  void note_empty(const std::string& file);
  size_t skipped() const;
  size_t empty() const { return empty_; }
  /// "3 samples skipped (2 corrupt image, 1 malformed XML); 1 image without objects kept" or "".
  std::string summary() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, size_t> by_reason_;
  size_t skipped_ = 0;
  std::atomic<size_t> empty_{0};
};

class DetectionDataset {
 public:
  /// Opens one split; role ("train" / "val") names the config keys in errors. Difficult objects are dropped
  /// unless keep_difficult. Throws DataError when a root or split file is missing (before any training starts)
  /// or, with strict, at the first bad sample. require_images = false reads annotations only (scoring files).
  DetectionDataset(const config::SplitConfig& split, const std::vector<std::string>& classes, bool keep_difficult,
                   bool strict, double val_fraction, uint64_t seed, const std::string& role, bool require_images = true);

  size_t size() const { return annotations_.size(); }
  const Annotation& annotation(size_t i) const { return annotations_[i]; }
  const std::vector<Annotation>& annotations() const { return annotations_; }
  /// Decodes image i (RGB). Throws DataError naming the file when it is missing or cannot be decoded.
  Sample load(size_t i) const;
  SkipReport& report() const { return *report_; }
  bool strict() const { return strict_; }
  /// "voc:/data/VOC2007[trainval]" per root, for logs.
  const std::string& description() const { return description_; }

 private:
  std::vector<Annotation> annotations_;
  std::shared_ptr<SkipReport> report_ = std::make_shared<SkipReport>();
  bool strict_ = false;
  std::string description_;
};

/// The ids of a folder-layout split: splits/<split>.txt when present; else all stems of annotations/,
/// sorted, shuffled with `seed`, the first val_fraction for "val", the rest for "train", or every one for "all".
std::vector<std::string> folder_split_ids(const std::string& root, const std::string& split, double val_fraction, uint64_t seed);

/// How many images a split lists (split files / folder stems), without parsing annotations or reading images:
/// what the LR preview needs to know the loader's length. Throws like DetectionDataset for missing roots.
size_t count_split_images(const config::SplitConfig& split, double val_fraction, uint64_t seed, const std::string& role);

}  // namespace ssd::data
