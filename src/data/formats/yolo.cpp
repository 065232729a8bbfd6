#include "ssd/data/formats/yolo.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "ssd/data/image_decode.h"
#include "ssd/data/image_files.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::data {

namespace {

void read_data_yaml_keys(const YAML::Node& doc, const fs::path& file, YoloDataYaml& out) {
  if (doc["path"] && doc["path"].IsScalar()) {
    const fs::path p = doc["path"].as<std::string>();
    out.base = (p.is_absolute() ? p : file.parent_path() / p).lexically_normal().string();
  }
  const YAML::Node names = doc["names"];
  if (!names) throw DataError(out.file + ": no 'names' key (the class names, by YOLO class index)");
  try {
    if (names.IsSequence()) {
      for (const auto& n : names) out.names.push_back(n.as<std::string>());
    } else if (names.IsMap()) {  // {0: person, 1: bicycle, ...}: indices must be 0..n-1
      std::map<int, std::string> by_index;
      for (const auto& kv : names) by_index[kv.first.as<int>()] = kv.second.as<std::string>();
      int expected = 0;
      for (const auto& [index, name] : by_index) {
        if (index != expected++) throw DataError(out.file + ": names: class indices must run 0, 1, 2, ... without gaps");
        out.names.push_back(name);
      }
    } else {
      throw DataError(out.file + ": names: must be a list or an {index: name} map");
    }
  } catch (const YAML::Exception& e) {
    throw DataError(out.file + ":" + std::to_string(e.mark.line + 1) + ": names: " + e.msg);
  }
  if (doc["nc"] && doc["nc"].as<size_t>() != out.names.size())
    throw DataError(out.file + ": nc is " + doc["nc"].as<std::string>() + " but names lists " + std::to_string(out.names.size()) + " classes");
  if (out.names.empty()) throw DataError(out.file + ": names is empty");
  for (const auto& kv : doc) {
    const auto key = kv.first.as<std::string>();
    if (key == "path" || key == "names" || key == "nc") continue;
    if (kv.second.IsScalar()) {
      out.splits[key] = {kv.second.as<std::string>()};
    } else if (kv.second.IsSequence() && std::all_of(kv.second.begin(), kv.second.end(), [](const YAML::Node& n) { return n.IsScalar(); })) {
      for (const auto& e : kv.second) out.splits[key].push_back(e.as<std::string>());
    }
  }
}

}  // namespace

YoloDataYaml read_yolo_data_yaml(const std::string& root) {
  const fs::path file = fs::is_regular_file(root) ? fs::path(root) : fs::path(root) / "data.yaml";
  if (!fs::exists(file)) throw DataError(file.string() + ": data.yaml not found (the YOLO format names its classes there)");
  YoloDataYaml out;
  out.file = file.string();
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(out.file);
  } catch (const YAML::Exception& e) {
    throw DataError(out.file + ":" + std::to_string(e.mark.line + 1) + ": malformed YAML (" + e.msg + ")");
  }
  if (!doc.IsMap()) throw DataError(out.file + ": expected a mapping of keys (path, train, val, names ...)");
  out.base = file.parent_path().string();
  // Any value of the wrong shape (a list where a name goes, a word where nc's number goes) names the file and line.
  try {
    read_data_yaml_keys(doc, file, out);
  } catch (const YAML::Exception& e) {
    throw DataError(out.file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return out;
}

namespace {

// A split entry: a folder (searched recursively for images) or a .txt file with one image path per line
// (relative paths start from the list's folder, as Ultralytics reads them).
void add_entry(const YoloDataYaml& yaml, const std::string& key, const std::string& entry, std::vector<std::string>& images) {
  fs::path p = fs::path(entry).is_absolute() ? fs::path(entry) : fs::path(yaml.base) / entry;
  // Roboflow writes "../train/images" relative to a parent of the data set; the same folder beside data.yaml is meant.
  if (!fs::exists(p) && entry.rfind("../", 0) == 0) p = fs::path(yaml.base) / entry.substr(3);
  p = p.lexically_normal();
  if (fs::is_directory(p)) {
    for (const auto& e : fs::recursive_directory_iterator(p))
      if (e.is_regular_file() && is_image_file(e.path())) images.push_back(e.path().string());
  } else if (fs::is_regular_file(p) && p.extension() == ".txt") {
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) {
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (line.empty()) continue;
      const fs::path img = fs::path(line).is_absolute() ? fs::path(line) : p.parent_path() / line;
      images.push_back(img.lexically_normal().string());
    }
  } else {
    throw DataError(yaml.file + ": " + key + ": " + p.string() + " is neither an image folder nor a .txt list of images");
  }
}

}  // namespace

std::vector<std::string> yolo_split_images(const YoloDataYaml& yaml, const std::string& split) {
  std::vector<std::string> images;
  const auto entries = yaml.splits.find(split);
  if (entries != yaml.splits.end()) {
    for (const auto& e : entries->second) add_entry(yaml, split, e, images);
  } else {
    const fs::path folder = fs::path(yaml.base) / "images" / split;
    if (!fs::is_directory(folder))
      throw DataError(yaml.file + ": no '" + split + "' key and no folder " + folder.string() + " for the " + split + " split");
    add_entry(yaml, split, (fs::path("images") / split).string(), images);
  }
  std::sort(images.begin(), images.end());
  images.erase(std::unique(images.begin(), images.end()), images.end());
  return images;
}

std::string yolo_label_path(const std::string& image_path) {
  fs::path p(image_path);
  std::vector<fs::path> parts(p.begin(), p.end());
  for (size_t i = parts.size(); i-- > 0;)
    if (parts[i] == "images") {
      parts[i] = "labels";
      break;
    }
  fs::path out;
  for (const auto& part : parts) out /= part;
  return out.replace_extension(".txt").string();
}

namespace {

struct ImageSize {
  int width = 0, height = 0;
};

// Cache key parts: a changed file (size or time) is decoded again.
std::pair<int64_t, int64_t> file_stamp(const std::string& path) {
  std::error_code ec;
  const auto bytes = static_cast<int64_t>(fs::file_size(path, ec));
  const auto time = static_cast<int64_t>(fs::last_write_time(path, ec).time_since_epoch().count());
  return {ec ? -1 : bytes, time};
}

// Sizes of all images (0 x 0 for one OpenCV cannot decode), from the cache where it is current.
std::vector<ImageSize> image_sizes(const std::vector<std::string>& images, const std::string& cache_path) {
  std::vector<ImageSize> sizes(images.size());
  std::vector<std::pair<int64_t, int64_t>> stamps(images.size());
  nlohmann::json cache;
  if (std::ifstream in(cache_path); in) {
    try {
      cache = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
      spdlog::warn("{}: unreadable size cache, rebuilding it", cache_path);
    }
  }
  const nlohmann::json fresh = {{"version", 1}, {"images", nlohmann::json::object()}};
  if (!cache.is_object() || cache.value("version", nlohmann::json()) != 1 || !cache["images"].is_object()) cache = fresh;
  std::vector<size_t> todo;
  for (size_t i = 0; i < images.size(); ++i) {
    stamps[i] = file_stamp(images[i]);
    const auto it = cache["images"].find(images[i]);
    // An entry is [width, height, bytes, mtime]; anything else (an edited or damaged cache) is read again.
    const bool current = it != cache["images"].end() && it->is_array() && it->size() == 4 &&
                         std::all_of(it->begin(), it->end(), [](const nlohmann::json& v) { return v.is_number_integer(); }) &&
                         (*it)[2].get<int64_t>() == stamps[i].first && (*it)[3].get<int64_t>() == stamps[i].second;
    if (current) sizes[i] = {(*it)[0].get<int>(), (*it)[1].get<int>()};
    else todo.push_back(i);
  }
  if (todo.empty()) return sizes;
  if (todo.size() > 100) spdlog::info("reading the sizes of {} images (once; cached in {})", todo.size(), cache_path);
  // Decoded as training decodes them (EXIF orientation applied), so sizes agree with load().
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k; (k = next++) < todo.size();) {
      const cv::Mat m = read_bgr_image(images[todo[k]]);
      if (!m.empty()) sizes[todo[k]] = {m.cols, m.rows};
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  for (size_t i : todo)
    if (sizes[i].width > 0) cache["images"][images[i]] = {sizes[i].width, sizes[i].height, stamps[i].first, stamps[i].second};
  std::error_code ec;
  fs::create_directories(fs::path(cache_path).parent_path(), ec);
  const std::string tmp = cache_path + ".tmp";
  if (std::ofstream out(tmp); out && (out << cache.dump() << "\n")) {
    out.close();
    fs::rename(tmp, cache_path, ec);
  } else {
    ec = std::make_error_code(std::errc::permission_denied);
  }
  if (ec) spdlog::warn("{}: cannot write the size cache ({}); sizes will be read again next time", cache_path, ec.message());
  return sizes;
}

// The rows of one label file as objects in pixels; an empty string, or the first problem ("line N: ...").
std::string parse_label_file(const std::string& path, const ImageSize& size, const std::vector<int64_t>& label_of,
                             std::vector<Object>& objects) {
  std::ifstream in(path);
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    std::istringstream row(line);
    std::vector<double> v;
    std::string token;
    while (row >> token) {
      try {
        size_t used = 0;
        v.push_back(std::stod(token, &used));
        if (used != token.size()) throw std::invalid_argument(token);
      } catch (const std::exception&) {
        return "line " + std::to_string(line_no) + ": '" + token + "' is not a number";
      }
    }
    if (v.empty()) continue;
    const std::string at = "line " + std::to_string(line_no) + ": ";
    if (v.size() < 5) return at + "expected 'class cx cy w h', got " + std::to_string(v.size()) + " values";
    if (v[0] != std::floor(v[0]) || v[0] < 0 || v[0] >= static_cast<double>(label_of.size()))
      return at + "class " + fmt::format("{:g}", v[0]) + " is not an index into data.yaml's " + std::to_string(label_of.size()) + " names";
    for (size_t k = 1; k < v.size(); ++k)
      if (!(v[k] >= 0 && v[k] <= 1 + 1e-6)) return at + "coordinates must be normalised to [0, 1]";  // NaN too
    double x1, y1, x2, y2;
    if (v.size() == 5) {
      x1 = v[1] - v[3] / 2, x2 = v[1] + v[3] / 2, y1 = v[2] - v[4] / 2, y2 = v[2] + v[4] / 2;
    } else {
      if ((v.size() - 1) % 2 != 0) return at + "a polygon needs x y pairs";
      x1 = y1 = 1, x2 = y2 = 0;
      for (size_t k = 1; k + 1 < v.size(); k += 2)
        x1 = std::min(x1, v[k]), x2 = std::max(x2, v[k]), y1 = std::min(y1, v[k + 1]), y2 = std::max(y2, v[k + 1]);
    }
    Object o;
    o.x1 = static_cast<float>(std::clamp(x1, 0.0, 1.0) * size.width);
    o.x2 = static_cast<float>(std::clamp(x2, 0.0, 1.0) * size.width);
    o.y1 = static_cast<float>(std::clamp(y1, 0.0, 1.0) * size.height);
    o.y2 = static_cast<float>(std::clamp(y2, 0.0, 1.0) * size.height);
    if (o.x2 <= o.x1 || o.y2 <= o.y1) return at + "degenerate box (width or height 0)";
    o.label = label_of[static_cast<size_t>(v[0])];
    objects.push_back(o);
  }
  return "";
}

}  // namespace

std::vector<Annotation> read_yolo_split(const std::string& root, const std::string& split, const std::vector<std::string>& classes,
                                        const OnBadFile& on_bad) {
  const YoloDataYaml yaml = read_yolo_data_yaml(root);
  std::vector<int64_t> label_of;
  for (const auto& name : yaml.names) {
    const auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end())
      throw DataError(yaml.file + ": class '" + name + "' is not in data.classes (give every class of names in data.classes)");
    label_of.push_back((it - classes.begin()) + 1);
  }
  const auto images = yolo_split_images(yaml, split);
  if (images.empty()) return {};
  const auto sizes = image_sizes(images, (fs::path(yaml.base) / ".ssd-cache" / (split + ".sizes.json")).string());
  std::vector<Annotation> out;
  for (size_t i = 0; i < images.size(); ++i) {
    if (sizes[i].width == 0) {
      on_bad(images[i], fs::exists(images[i]) ? "corrupt image (OpenCV cannot decode it)" : "image file not found");
      continue;
    }
    Annotation a;
    a.id = fs::path(images[i]).stem().string();
    a.image_path = images[i];
    a.width = sizes[i].width;
    a.height = sizes[i].height;
    const std::string label_file = yolo_label_path(images[i]);
    if (fs::exists(label_file)) {
      const std::string problem = parse_label_file(label_file, sizes[i], label_of, a.objects);
      if (!problem.empty()) {
        on_bad(label_file, problem);
        continue;
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

DataFormat yolo_format() {
  return {"yolo", "YOLO text (Ultralytics, Roboflow): <root>/data.yaml naming classes and splits, images/ and labels/<stem>.txt",
          [](const SplitSource& s, const DataIssues& issues) { return read_yolo_split(s.root, s.split, s.classes, issues.bad_file); },
          [](const SplitSource& s) { return yolo_split_images(read_yolo_data_yaml(s.root), s.split).size(); },
          [](const std::string& root, const std::string&) {
            return fs::exists(fs::path(root) / "data.yaml") || fs::path(root).extension() == ".yaml";
          }};
}

}  // namespace ssd::data
