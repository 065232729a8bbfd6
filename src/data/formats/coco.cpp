#include "ssd/data/formats/coco.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "ssd/data/image_decode.h"
#include "ssd/util/error.h"
#include "ssd/util/json_error.h"

namespace fs = std::filesystem;

namespace ssd::data {

std::pair<std::string, std::string> coco_paths(const std::string& root, const std::string& split) {
  return {(fs::path(root) / "annotations" / ("instances_" + split + ".json")).string(), (fs::path(root) / split).string()};
}

namespace {
nlohmann::json parse_file(const std::string& json_path) {
  std::ifstream in(json_path, std::ios::binary);
  if (!in) throw DataError(json_path + ": annotation file not found");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw DataError(json_path + ": malformed JSON: " + util::json_syntax_error(text));
  }
}
}  // namespace

namespace {

// One entry of "annotations": appended to its image, or the image marked bad (problem_of: its first reason).
// An image's width or height: 0 when absent (the pixels decide), else a number of pixels an image can have.
int image_side(const nlohmann::json& image, const char* key) {
  if (!image.contains(key)) return 0;
  const auto& v = image[key];
  if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= kLargestImageSide))
    throw std::invalid_argument(std::string(key) + " must be a number of pixels (0 to 2^20), got " + v.dump());
  return static_cast<int>(v.get<double>());
}

void add_annotation(const nlohmann::json& an, const std::string& path, const std::map<int64_t, size_t>& index_of,
                    const std::map<int64_t, int64_t>& label_of, std::vector<Annotation>& out,
                    std::vector<std::string>& problem_of, const std::string& json_path,
                    const std::function<void(const std::string&, const std::string&)>& on_bad) {
  if (!an.contains("image_id") || !an.contains("category_id") || !an.contains("bbox")) {
    on_bad(json_path, path + " needs image_id, category_id and bbox");
    return;
  }
  if (!an["image_id"].is_number_integer() || !an["category_id"].is_number_integer()) {
    on_bad(json_path, path + ": image_id and category_id must be integers, got " + an["image_id"].dump() + " and " + an["category_id"].dump());
    return;
  }
  const auto image = index_of.find(an["image_id"].get<int64_t>());
  if (image == index_of.end()) {
    on_bad(json_path, path + ": image_id " + std::to_string(an["image_id"].get<int64_t>()) + " is not in images");
    return;
  }
  auto& a = out[image->second];
  const auto label = label_of.find(an["category_id"].get<int64_t>());
  const auto& b = an["bbox"];
  std::string problem;
  if (label == label_of.end()) problem = path + ": category_id " + std::to_string(an["category_id"].get<int64_t>()) + " is not in categories";
  else if (!b.is_array() || b.size() != 4) problem = path + ": bbox must be [x, y, w, h]";
  else if (!std::all_of(b.begin(), b.end(), [](const nlohmann::json& v) { return v.is_number() && std::abs(v.get<double>()) <= kLargestImageSide; }))
    problem = path + ": bbox values must be numbers within an image (at most 2^20 pixels)";
  else if (b[2].get<double>() <= 0 || b[3].get<double>() <= 0) problem = path + ": degenerate bbox (width or height <= 0)";
  else if (b[0].get<double>() < 0 || b[1].get<double>() < 0 || (a.width > 0 && b[0].get<double>() + b[2].get<double>() > a.width + 0.5) ||
           (a.height > 0 && b[1].get<double>() + b[3].get<double>() > a.height + 0.5))
    problem = path + ": bbox lies outside the " + std::to_string(a.width) + "x" + std::to_string(a.height) + " image";
  if (!problem.empty()) {
    if (problem_of[image->second].empty()) problem_of[image->second] = problem;
    return;
  }
  Object o;
  o.x1 = b[0].get<float>();
  o.y1 = b[1].get<float>();
  // COCO boxes may overrun the image by rounding (< 0.5 px): clamp to it.
  o.x2 = a.width > 0 ? std::min(b[0].get<float>() + b[2].get<float>(), static_cast<float>(a.width)) : b[0].get<float>() + b[2].get<float>();
  o.y2 = a.height > 0 ? std::min(b[1].get<float>() + b[3].get<float>(), static_cast<float>(a.height)) : b[1].get<float>() + b[3].get<float>();
  o.label = label->second;
  o.crowd = an.contains("iscrowd") && an["iscrowd"].is_number() && an["iscrowd"].get<double>() != 0;
  // The area in double, as pycocotools reads it (a segment's area exactly on 32^2 or 96^2 stays there).
  if (an.contains("area") && an["area"].is_number() && std::isfinite(an["area"].get<double>())) o.area = an["area"].get<double>();
  a.objects.push_back(o);
}

}  // namespace

namespace {
// The "categories" list of a parsed file as (id, name), checked.
std::vector<std::pair<int64_t, std::string>> categories_of(const nlohmann::json& j, const std::string& json_path) {
  if (!j.contains("categories") || !j["categories"].is_array()) throw DataError(json_path + ": no 'categories' list (not a COCO instances file?)");
  std::vector<std::pair<int64_t, std::string>> out;
  for (size_t i = 0; i < j["categories"].size(); ++i) {
    const auto& c = j["categories"][i];
    if (!c.contains("id") || !c.contains("name") || !c["id"].is_number_integer() || !c["name"].is_string())
      throw DataError(json_path + ": categories[" + std::to_string(i) + "]: needs an integer id and a string name");
    out.emplace_back(c["id"].get<int64_t>(), c["name"].get<std::string>());
  }
  return out;
}
}  // namespace

std::vector<std::pair<int64_t, std::string>> read_coco_categories(const std::string& json_path) {
  return categories_of(parse_file(json_path), json_path);
}

size_t count_coco_images(const std::string& json_path) {
  const auto j = parse_file(json_path);
  if (!j.contains("images") || !j["images"].is_array()) throw DataError(json_path + ": no 'images' list (not a COCO instances file?)");
  return j["images"].size();
}

CocoInstances read_coco_instances(const std::string& json_path, const std::string& image_dir, const std::vector<std::string>& classes,
                                  const std::function<void(const std::string&, const std::string&)>& on_bad) {
  const auto j = parse_file(json_path);
  for (const char* section : {"images", "annotations"})
    if (!j.contains(section) || !j[section].is_array()) throw DataError(json_path + ": no '" + section + "' list (not a COCO instances file?)");

  CocoInstances result;
  const auto categories = categories_of(j, json_path);
  if (classes.empty())
    for (const auto& [id, name] : categories) result.classes.push_back(name);
  else
    result.classes = classes;
  auto& label_of = result.label_of_category;
  std::set<int64_t> used;  // categories that some annotation names
  for (const auto& an : j["annotations"])
    if (an.is_object() && an.contains("category_id") && an["category_id"].is_number_integer()) used.insert(an["category_id"].get<int64_t>());
  for (size_t i = 0; i < categories.size(); ++i) {
    const auto& [id, name] = categories[i];
    const auto it = std::find(result.classes.begin(), result.classes.end(), name);
    if (it == result.classes.end() && !used.count(id)) {
      // Roboflow's exports start with a category that only serves as the others' supercategory.
      spdlog::info("{}: categories[{}]: category '{}' (id {}) has no annotations and is not in the classes: ignored", json_path, i,
                   name, id);
      continue;
    }
    if (it == result.classes.end())
      throw DataError(json_path + ": categories[" + std::to_string(i) + "]: category '" + name + "' (id " + std::to_string(id) +
                      ") is not in data.classes; list the file's category names there");
    label_of[id] = (it - result.classes.begin()) + 1;
  }

  std::vector<Annotation> out;
  std::map<int64_t, size_t> index_of;  // image id -> position in out
  std::set<int64_t> duplicated;        // image ids given to more than one image
  for (size_t i = 0; i < j["images"].size(); ++i) {
    const auto& im = j["images"][i];
    const std::string path = "images[" + std::to_string(i) + "]";
    Annotation a;
    int64_t id = 0;
    try {
      if (!im.contains("id") || !im.contains("file_name")) throw std::invalid_argument("has no id or file_name");
      if (!im["id"].is_number_integer()) throw std::invalid_argument("id must be an integer (COCO's image ids are), got " + im["id"].dump());
      id = im["id"].get<int64_t>();
      a.id = std::to_string(id);
      a.image_path = (fs::path(image_dir) / im["file_name"].get<std::string>()).string();
      a.width = image_side(im, "width");
      a.height = image_side(im, "height");
    } catch (const std::exception& e) {  // missing fields, or of the wrong type
      on_bad(json_path, path + ": " + e.what());
      continue;
    }
    if (const auto first = index_of.find(id); first != index_of.end()) {
      // Whose are this id's annotations? Neither image can be trusted with them.
      on_bad(json_path, path + ": id " + std::to_string(id) + " is given to two images (" + out[first->second].image_path + " and " +
                            a.image_path + "): both skipped");
      duplicated.insert(id);
      continue;
    }
    index_of[id] = out.size();
    out.push_back(std::move(a));
  }
  std::vector<std::string> problem_of(out.size());  // "" = the image is good
  for (const int64_t id : duplicated) problem_of[index_of.at(id)] = "images: id " + std::to_string(id) + " is given to two images";
  for (size_t i = 0; i < j["annotations"].size(); ++i) {
    const auto& an = j["annotations"][i];
    // Named by position and, where it has one, by its id (what a person searches the file for).
    const std::string path = "annotations[" + std::to_string(i) + "]" +
                             (an.is_object() && an.contains("id") ? " (id " + an["id"].dump() + ")" : "");
    try {
      add_annotation(an, path, index_of, label_of, out, problem_of, json_path, on_bad);
    } catch (const nlohmann::json::exception& e) {  // a field of the wrong type
      on_bad(json_path, path + ": " + e.what());
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (!problem_of[i].empty()) on_bad(json_path, problem_of[i] + " (image " + out[i].image_path + " skipped)");
    else result.images.push_back(std::move(out[i]));
  }
  return result;
}

DataFormat coco_format() {
  return {"coco", "COCO instances JSON: <root>/annotations/instances_<split>.json, images in <root>/<split>/",
          [](const SplitSource& s, const DataIssues& issues) {
            const auto [json, images] = coco_paths(s.root, s.split);
            return read_coco_instances(json, images, s.classes, issues.bad_file).images;
          },
          [](const SplitSource& s) { return count_coco_images(coco_paths(s.root, s.split).first); },
          [](const std::string& root, const std::string& split) { return !split.empty() && fs::exists(coco_paths(root, split).first); }};
}

}  // namespace ssd::data
