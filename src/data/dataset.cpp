#include "ssd/data/dataset.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "ssd/data/image_decode.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::data {

namespace {

// Control characters (a newline inside a class name) as escapes, so that one problem stays one log line.
std::string printable(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) out += static_cast<char>(c);
    else if (c == '\n') out += "\\n";
    else out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

}  // namespace

void SkipReport::skip(const std::string& file, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A file is counted once: the loader meets a bad image again every epoch.
  if (!files_.insert(file).second) return;
  spdlog::warn("skipping {}: {}", printable(file), printable(reason));
  ++skipped_;
  // Group by the kind of problem: the reason's words before the first ':', '(' or quote (what follows names the
  // particular file, line, class or size).
  std::string kind = reason.substr(0, reason.find_first_of(":('\""));
  kind = printable(kind.substr(0, kind.find_last_not_of(' ') + 1));
  ++by_reason_[kind.empty() ? "other" : kind];
}

void SkipReport::note_empty(const std::string& file) {
  spdlog::info("{}: no objects (kept as a background-only image)", file);
  ++empty_;
}

size_t SkipReport::skipped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return skipped_;
}

std::string SkipReport::summary() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  if (skipped_) {
    out = std::to_string(skipped_) + " sample" + (skipped_ == 1 ? "" : "s") + " skipped (";
    bool first = true;
    for (const auto& [reason, n] : by_reason_) {
      out += (first ? "" : ", ") + std::to_string(n) + " " + reason;
      first = false;
    }
    out += ")";
  }
  if (empty_) out += std::string(out.empty() ? "" : "; ") + std::to_string(empty_.load()) + " image(s) without objects kept";
  return out;
}

namespace {

// The split name of root r: one per root, or one for all.
const std::string& split_of(const config::SplitConfig& split, size_t r) { return split.splits.size() == 1 ? split.splits[0] : split.splits.at(r); }

void require_roots(const config::SplitConfig& split, const std::string& role) {
  const std::string key = "data." + role;
  if (split.roots.empty()) throw ConfigError(key + ".roots: no data set given for the " + role + " split");
  if (split.splits.size() != 1 && split.splits.size() != split.roots.size())
    throw ConfigError(key + ".splits: has " + std::to_string(split.splits.size()) + " entries for " + std::to_string(split.roots.size()) +
                      " roots; give one split per root, or one for all");
  for (const auto& root : split.roots)
    if (!fs::is_directory(root)) throw DataError(root + ": data set root not found (" + key + ".roots)");
}

}  // namespace

size_t count_split_images(const config::SplitConfig& split, double val_fraction, uint64_t seed, const std::string& role) {
  require_roots(split, role);
  const auto& format = format_registry().get(split.format, "data." + role + ".format");
  size_t count = 0;
  for (size_t r = 0; r < split.roots.size(); ++r) count += format.count({split.roots[r], split_of(split, r), {}, val_fraction, seed});
  return count;
}

DetectionDataset::DetectionDataset(const DatasetOptions& o) : classes_(o.classes), strict_(o.strict) {
  require_roots(o.split, o.role);
  const auto& format = format_registry().get(o.split.format, "data." + o.role + ".format");
  const OnBadFile on_bad = [this](const std::string& file, const std::string& reason) {
    if (strict_) throw DataError(file + ": " + reason);
    report_->skip(file, reason);
  };
  for (size_t r = 0; r < o.split.roots.size(); ++r) {
    const SplitSource source{o.split.roots[r], split_of(o.split, r), o.classes, o.val_fraction, o.seed};
    description_ += (description_.empty() ? "" : " + ") + o.split.format + ":" + source.root + "[" + source.split + "]";
    for (auto& a : format.read(source, on_bad)) add(std::move(a), o, on_bad);
  }
  if (annotations_.empty())
    throw DataError(description_ + ": no usable samples in the " + o.role + " split" +
                    (report_->skipped() ? " (" + report_->summary() + ")" : ""));
}

void DetectionDataset::add(Annotation a, const DatasetOptions& o, const OnBadFile& on_bad) {
  if (o.require_images && !fs::exists(a.image_path)) {
    on_bad(a.image_path, "image file not found");
    return;
  }
  if (!o.keep_difficult)  // training: difficult objects and crowd regions are not objects to learn
    a.objects.erase(std::remove_if(a.objects.begin(), a.objects.end(), [](const Object& x) { return x.difficult || x.crowd; }),
                    a.objects.end());
  if (a.objects.empty()) report_->note_empty(a.image_path);
  annotations_.push_back(std::move(a));
}

Sample DetectionDataset::load(size_t i) const {
  Sample s;
  s.annotation = annotations_[i];
  s.image = read_rgb_image(s.annotation.image_path);  // everything downstream is RGB
  if (s.image.empty()) {
    if (!fs::exists(s.annotation.image_path)) throw DataError(s.annotation.image_path + ": image file not found");
    throw DataError(s.annotation.image_path + ": corrupt image (OpenCV cannot decode it)");
  }
  auto& a = s.annotation;
  if (a.width > 0 && (a.width != s.image.cols || a.height != s.image.rows))
    throw DataError(a.image_path + ": image is " + std::to_string(s.image.cols) + "x" + std::to_string(s.image.rows) +
                    " but its annotation says " + std::to_string(a.width) + "x" + std::to_string(a.height));
  a.width = s.image.cols;
  a.height = s.image.rows;
  for (const auto& o : a.objects)
    if (o.x2 > a.width || o.y2 > a.height)
      throw DataError(a.image_path + ": a box reaches past the " + std::to_string(a.width) + "x" + std::to_string(a.height) + " image");
  return s;
}

}  // namespace ssd::data
