#include "ssd/data/dataset.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <random>

#include "ssd/data/coco.h"
#include "ssd/data/image_decode.h"
#include "ssd/data/voc.h"
#include "ssd/data/yolo.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::data {

void SkipReport::skip(const std::string& file, const std::string& reason) {
  spdlog::warn("skipping {}: {}", file, reason);
  std::lock_guard<std::mutex> lock(mutex_);
  ++skipped_;
  // Group by the kind of problem: the text before the first ':' or '(' of the reason.
  ++by_reason_[reason.substr(0, reason.find_first_of(":("))];
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

std::vector<std::string> folder_split_ids(const std::string& root, const std::string& split, double val_fraction, uint64_t seed) {
  const fs::path split_file = fs::path(root) / "splits" / (split + ".txt");
  if (fs::exists(split_file)) return read_voc_split_file(split_file.string());
  const fs::path annotations = fs::path(root) / "annotations";
  if (!fs::is_directory(annotations)) throw DataError(annotations.string() + ": annotations folder not found");
  std::vector<std::string> ids;
  for (const auto& entry : fs::directory_iterator(annotations))
    if (entry.path().extension() == ".xml") ids.push_back(entry.path().stem().string());
  std::sort(ids.begin(), ids.end());
  if (split == "all") return ids;
  if (split != "train" && split != "val")
    throw DataError(split_file.string() + ": split file not found (without split files the folder layout has train, val and all)");
  std::mt19937_64 rng(seed);
  std::shuffle(ids.begin(), ids.end(), rng);
  const size_t n_val = static_cast<size_t>(std::round(val_fraction * ids.size()));
  std::vector<std::string> out = split == "val" ? std::vector<std::string>(ids.begin(), ids.begin() + n_val)
                                                : std::vector<std::string>(ids.begin() + n_val, ids.end());
  std::sort(out.begin(), out.end());
  return out;
}

size_t count_split_images(const config::SplitConfig& split, double val_fraction, uint64_t seed, const std::string& role) {
  const std::string key = "data." + role;
  if (split.roots.empty()) throw ConfigError(key + ".roots: no data set given for the " + role + " split");
  size_t count = 0;
  for (size_t r = 0; r < split.roots.size(); ++r) {
    const std::string& root = split.roots[r];
    const std::string& name = split.splits.size() == 1 ? split.splits[0] : split.splits.at(r);
    if (!fs::is_directory(root)) throw DataError(root + ": data set root not found (" + key + ".roots)");
    if (split.format == "coco") {
      const std::string json = coco_paths(root, name).first;
      count += count_coco_images(json);
      continue;
    }
    if (split.format == "yolo") {
      count += yolo_split_images(read_yolo_data_yaml(root), name).size();
      continue;
    }
    count += (split.format == "voc" ? read_voc_split(root, name) : folder_split_ids(root, name, val_fraction, seed)).size();
  }
  return count;
}

DetectionDataset::DetectionDataset(const config::SplitConfig& split, const std::vector<std::string>& classes,
                                   bool keep_difficult, bool strict, double val_fraction, uint64_t seed,
                                   const std::string& role, bool require_images)
    : strict_(strict) {
  const std::string key = "data." + role;
  if (split.roots.empty()) throw ConfigError(key + ".roots: no data set given for the " + role + " split");
  if (split.splits.size() != 1 && split.splits.size() != split.roots.size())
    throw ConfigError(key + ".splits: has " + std::to_string(split.splits.size()) + " entries for " +
                      std::to_string(split.roots.size()) + " roots; give one split per root, or one for all");
  for (size_t r = 0; r < split.roots.size(); ++r) {
    const std::string& root = split.roots[r];
    const std::string& name = split.splits.size() == 1 ? split.splits[0] : split.splits[r];
    if (!fs::is_directory(root)) throw DataError(root + ": data set root not found (" + key + ".roots)");
    description_ += (description_.empty() ? "" : " + ") + split.format + ":" + root + "[" + name + "]";
    if (split.format == "coco" || split.format == "yolo") {
      auto on_bad = [&](const std::string& file, const std::string& reason) {
        if (strict_) throw DataError(file + ": " + reason);
        report_->skip(file, reason);
      };
      std::vector<Annotation> read;
      if (split.format == "coco") {
        const auto [json, images] = coco_paths(root, name);
        read = read_coco_instances(json, images, classes, on_bad).images;
      } else {
        read = read_yolo_split(root, name, classes, on_bad);  // decodes images once (cached) for their sizes
      }
      for (auto& a : read) {
        if (require_images && !fs::exists(a.image_path)) {
          on_bad(a.image_path, "image file not found");
          continue;
        }
        if (!keep_difficult)  // training: crowd regions are not objects to learn
          a.objects.erase(std::remove_if(a.objects.begin(), a.objects.end(), [](const Object& o) { return o.difficult || o.crowd; }),
                          a.objects.end());
        if (a.objects.empty()) report_->note_empty(a.image_path);
        annotations_.push_back(std::move(a));
      }
      continue;
    }
    const bool voc = split.format == "voc";
    const auto ids = voc ? read_voc_split(root, name) : folder_split_ids(root, name, val_fraction, seed);
    for (const auto& id : ids) {
      std::string image, xml;
      if (voc) {
        std::tie(image, xml) = voc_paths(root, id);
      } else {
        xml = (fs::path(root) / "annotations" / (id + ".xml")).string();
        image = (fs::path(root) / "images" / (id + ".jpg")).string();
        for (const char* ext : {".jpg", ".png", ".jpeg", ".JPG", ".PNG"})
          if (fs::exists(fs::path(root) / "images" / (id + ext))) image = (fs::path(root) / "images" / (id + ext)).string();
      }
      try {
        if (require_images && !fs::exists(image)) throw DataError(image + ": image file not found");
        Annotation a = read_voc_xml(xml, image, classes);
        if (!keep_difficult)
          a.objects.erase(std::remove_if(a.objects.begin(), a.objects.end(), [](const Object& o) { return o.difficult; }),
                          a.objects.end());
        if (a.objects.empty()) report_->note_empty(xml);
        annotations_.push_back(std::move(a));
      } catch (const DataError& e) {
        if (strict_) throw;
        const std::string what = e.what();
        const size_t colon = what.find(": ");
        report_->skip(colon == std::string::npos ? xml : what.substr(0, colon),
                      colon == std::string::npos ? what : what.substr(colon + 2));
      }
    }
  }
  if (annotations_.empty())
    throw DataError(description_ + ": no usable samples in the " + role + " split" +
                    (report_->skipped() ? " (" + report_->summary() + ")" : ""));
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
