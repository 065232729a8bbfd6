#include "ssd/data/formats/folder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "ssd/data/formats/voc.h"
#include "ssd/data/image_files.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::data {

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

namespace {

std::pair<std::string, std::string> folder_paths(const std::string& root, const std::string& id) {
  const fs::path images = fs::path(root) / "images";
  std::string image = (images / (id + ".jpg")).string();
  for (const char* ext : {".jpg", ".png", ".jpeg", ".JPG", ".PNG"})
    if (fs::exists(images / (id + ext))) image = (images / (id + ext)).string();
  return {image, (fs::path(root) / "annotations" / (id + ".xml")).string()};
}

// Images that no annotation file describes are not used: say so once, so that a missing annotations/ file is found.
void warn_about_unannotated_images(const std::string& root) {
  const fs::path images = fs::path(root) / "images", annotations = fs::path(root) / "annotations";
  std::error_code ec;
  size_t count = 0;
  std::string example;
  for (const auto& entry : fs::directory_iterator(images, ec)) {
    if (!is_image_file(entry.path()) || fs::exists(annotations / (entry.path().stem().string() + ".xml"))) continue;
    if (count++ == 0) example = entry.path().filename().string();
  }
  if (count)
    spdlog::warn("{}: {} image(s) have no annotations/<stem>.xml and are not used (such as {})", images.string(), count, example);
}

}  // namespace

DataFormat folder_format() {
  return {"folder", "images/<stem>.jpg beside annotations/<stem>.xml (VOC XML); splits/<split>.txt, else a seeded train / val split",
          [](const SplitSource& s, const DataIssues& issues) {
            warn_about_unannotated_images(s.root);
            return read_voc_annotations(folder_split_ids(s.root, s.split, s.val_fraction, s.seed),
                                        [&](const std::string& id) { return folder_paths(s.root, id); }, s.classes, issues);
          },
          [](const SplitSource& s) { return folder_split_ids(s.root, s.split, s.val_fraction, s.seed).size(); },
          [](const std::string& root, const std::string& split) {
            return fs::is_directory(fs::path(root) / "annotations") && !fs::is_directory(fs::path(root) / "Annotations") &&
                   !fs::exists(fs::path(root) / "annotations" / ("instances_" + split + ".json"));
          }};
}

}  // namespace ssd::data
