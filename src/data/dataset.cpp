#include "ssd/data/dataset.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

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

bool SkipReport::record(Tally& tally, const std::string& reason, const std::string& key) {
  if (!tally.seen.insert(key).second) return false;
  ++tally.count;
  // Group by the kind of problem: the reason's words before the first ':', '(' or quote (what follows names the
  // particular file, line, class or size).
  std::string kind = reason.substr(0, reason.find_first_of(":('\""));
  kind = printable(kind.substr(0, kind.find_last_not_of(' ') + 1));
  ++tally.by_kind[kind.empty() ? "other" : kind];
  return true;
}

void SkipReport::skip(const std::string& file, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (record(samples_, reason, file + "\n" + reason)) spdlog::warn("skipping {}: {}", printable(file), printable(reason));
}

void SkipReport::skip(const std::string& error_message) {
  const size_t colon = error_message.find(": ");
  skip(error_message.substr(0, colon), colon == std::string::npos ? error_message : error_message.substr(colon + 2));
}

void SkipReport::skip_object(const std::string& where, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (record(objects_, reason, where + "\n" + reason))
    spdlog::warn("{}: object left out (the rest of the image is kept): {}", printable(where), printable(reason));
}

void SkipReport::fixed(const std::string& where, const std::string& what) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (record(fixes_, what, where + "\n" + what)) spdlog::warn("{}: {}", printable(where), printable(what));
}

void SkipReport::note_empty(const std::string& file) {
  spdlog::info("{}: no objects (kept as a background-only image)", file);
  ++empty_;
}

size_t SkipReport::skipped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return samples_.count;
}

size_t SkipReport::skipped_objects() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return objects_.count;
}

size_t SkipReport::fixes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fixes_.count;
}

std::string SkipReport::summary() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  auto part = [&](const Tally& tally, const char* one, const char* many) {
    if (!tally.count) return;
    out += (out.empty() ? "" : "; ") + std::to_string(tally.count) + " " + (tally.count == 1 ? one : many) + " (";
    bool first = true;
    for (const auto& [kind, n] : tally.by_kind) {
      out += (first ? "" : ", ") + std::to_string(n) + " " + kind;
      first = false;
    }
    out += ")";
  };
  part(samples_, "sample skipped", "samples skipped");
  part(objects_, "object skipped", "objects skipped");
  part(fixes_, "fix", "fixes");
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
  DataIssues issues;
  issues.bad_file = [this](const std::string& file, const std::string& reason) {
    if (strict_) throw DataError(file + ": " + reason);
    report_->skip(file, reason);
  };
  issues.bad_object = [this](const std::string& where, const std::string& reason) {
    if (strict_) throw DataError(where + ": " + reason);
    report_->skip_object(where, reason);
  };
  issues.fixed = [this](const std::string& where, const std::string& what) { report_->fixed(where, what); };
  for (size_t r = 0; r < o.split.roots.size(); ++r) {
    const SplitSource source{o.split.roots[r], split_of(o.split, r), o.classes, o.val_fraction, o.seed};
    description_ += (description_.empty() ? "" : " + ") + o.split.format + ":" + source.root + "[" + source.split + "]";
    for (auto& a : format.read(source, issues)) add(std::move(a), o, issues.bad_file);
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
  bool truncated = false;
  s.image = read_rgb_image(s.annotation.image_path, &truncated);  // everything downstream is RGB
  if (s.image.empty()) {
    if (!fs::exists(s.annotation.image_path)) throw DataError(s.annotation.image_path + ": image file not found");
    throw DataError(s.annotation.image_path + ": corrupt image (OpenCV cannot decode it)");
  }
  auto& a = s.annotation;
  if (truncated) report_->fixed(a.image_path, "truncated JPEG: used as far as it goes (libjpeg fills the rest grey)");
  const std::string pixels = std::to_string(s.image.cols) + "x" + std::to_string(s.image.rows);
  // The pixels are the truth: an annotation's <size> is often written by hand or by a converter.
  if (a.width > 0 && (a.width != s.image.cols || a.height != s.image.rows))
    report_->fixed(a.image_path, "size taken from the pixels: the annotation says " + std::to_string(a.width) + "x" +
                                     std::to_string(a.height) + ", the image is " + pixels);
  a.width = s.image.cols;
  a.height = s.image.rows;
  std::vector<Object> kept;
  for (auto o : a.objects) {
    const Object given = o;
    o.x2 = std::min(o.x2, static_cast<float>(a.width)), o.y2 = std::min(o.y2, static_cast<float>(a.height));
    o.x1 = std::min(o.x1, o.x2), o.y1 = std::min(o.y1, o.y2);
    std::ostringstream corners;
    corners << "(" << given.x1 << ", " << given.y1 << ", " << given.x2 << ", " << given.y2 << ")";
    if (o.x1 >= o.x2 || o.y1 >= o.y2) {
      if (strict_) throw DataError(a.image_path + ": box lies outside the image: " + corners.str() + " in " + pixels);
      report_->skip_object(a.image_path, "box lies outside the image: " + corners.str() + " in " + pixels);
      continue;
    }
    if (o.x2 != given.x2 || o.y2 != given.y2)
      report_->fixed(a.image_path, "clipped to the image: " + corners.str() + " reaches past the " + pixels + " image");
    kept.push_back(o);
  }
  a.objects = std::move(kept);
  return s;
}

}  // namespace ssd::data
