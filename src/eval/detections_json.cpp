#include "ssd/eval/detections_json.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <simdjson.h>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "ssd/data/formats/coco.h"
#include "ssd/util/error.h"
#include "ssd/util/json_error.h"
#include "ssd/util/text_file.h"

namespace ssd::eval {

CocoIds coco_ids_for_classes(const std::string& categories_json, const std::vector<std::string>& classes) {
  CocoIds ids;
  for (const auto& [id, name] : data::read_coco_categories(categories_json)) {
    const auto it = std::find(classes.begin(), classes.end(), name);
    if (it != classes.end()) ids.category_of_label[(it - classes.begin()) + 1] = id;
  }
  if (ids.category_of_label.size() != classes.size())
    throw DataError(categories_json + ": categories name " + std::to_string(ids.category_of_label.size()) + " of the model's " +
                    std::to_string(classes.size()) + " classes; every class needs a COCO category of the same name");
  return ids;
}

DetectionsJsonWriter::DetectionsJsonWriter(const std::string& path, std::vector<std::string> class_names, const CocoIds* coco_ids)
    : file_(path), names_(std::move(class_names)), coco_ids_(coco_ids) {}

nlohmann::json detection_entry(const Detection& d, const std::vector<std::string>& names, const CocoIds* coco_ids) {
  nlohmann::json image_id = d.image_id, category_id = d.label;
  if (coco_ids) {
    const bool digits = !d.image_id.empty() && d.image_id.size() < 19 &&
                        std::all_of(d.image_id.begin(), d.image_id.end(), [](unsigned char c) { return std::isdigit(c); });
    if (digits) image_id = std::stoll(d.image_id);
    const auto it = coco_ids->category_of_label.find(d.label);
    if (it != coco_ids->category_of_label.end()) category_id = it->second;
  }
  return {{"image_id", image_id},
          {"category_id", category_id},
          {"category_name", names.at(static_cast<size_t>(d.label - 1))},
          {"bbox", {d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1}},
          {"score", d.score}};
}

// Each entry as nlohmann's dump(1) writes an array's element: its lines indented one more.
void DetectionsJsonWriter::add(const std::vector<Detection>& detections) {
  std::string text;
  for (const auto& d : detections) {
    text += count_++ == 0 ? "[\n " : ",\n ";
    const std::string lines = detection_entry(d, names_, coco_ids_).dump(1);
    for (const char c : lines) {
      text += c;
      if (c == '\n') text += ' ';
    }
  }
  file_.append(text);
}

void DetectionsJsonWriter::commit() {
  file_.append(count_ == 0 ? "[]\n" : "\n]\n");
  file_.commit();
}

void write_detections_json(const std::string& path, const std::vector<Detection>& detections,
                           const std::vector<std::string>& names, const CocoIds* coco_ids) {
  DetectionsJsonWriter writer(path, names, coco_ids);
  writer.add(detections);
  writer.commit();
}

// Results files are the largest JSON this project reads (100 detections per image: 44 MB for 5,000 images), so
// they are parsed with simdjson, several times faster than building an nlohmann DOM.
std::vector<Detection> read_detections_json(const std::string& path, const std::vector<std::string>& names,
                                            const std::map<int64_t, int64_t>* category_labels) {
  if (!std::filesystem::is_regular_file(path)) throw DataError(path + ": detections file not found");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (const auto error = parser.load(path).get(doc)) {
    std::ifstream in(path, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::string place = util::json_syntax_error(text);
    throw DataError(path + ": malformed JSON" + (place.empty() ? " (" + std::string(simdjson::error_message(error)) + ")" : ": " + place));
  }
  simdjson::dom::array entries;
  if (doc.get_array().get(entries)) throw DataError(path + ": expected a JSON array of detections (COCO results format)");
  std::unordered_map<std::string_view, int64_t> label_of_name;
  for (size_t c = 0; c < names.size(); ++c) label_of_name[names[c]] = static_cast<int64_t>(c) + 1;
  std::vector<Detection> out;
  out.reserve(entries.size());
  // A detection of a category the evaluation does not know is left out (with one warning for all of them): the rest
  // of the file is still worth scoring.
  size_t unknown_categories = 0;
  std::string first_unknown;
  auto skip = [&](const std::string& why) {
    if (unknown_categories++ == 0) first_unknown = why;
  };
  size_t i = 0;
  for (const simdjson::dom::element e : entries) {
    const size_t index = i++;
    auto where = [&] { return path + ": entry [" + std::to_string(index) + "]"; };  // built only for an error
    auto field = [&](const char* key) {
      simdjson::dom::element v;
      if (e[key].get(v)) throw DataError(where() + ": no \"" + std::string(key) + "\"");
      return v;
    };
    auto number = [&](simdjson::dom::element v, const char* what) {
      double x = 0;
      if (v.get_double().get(x)) throw DataError(where() + ": " + what + " must be a number");
      return x;
    };
    auto integer = [&](simdjson::dom::element v, const char* what) {
      int64_t x = 0;
      if (v.get_int64().get(x)) throw DataError(where() + ": " + what + " must be an integer");
      return x;
    };
    if (!e.is_object()) throw DataError(where() + ": not an object");
    Detection d;
    const auto image_id = field("image_id");
    std::string_view text;
    d.image_id = image_id.get_string().get(text) == simdjson::SUCCESS ? std::string(text) : std::to_string(integer(image_id, "image_id"));
    simdjson::dom::element name;
    if (e["category_name"].get(name) == simdjson::SUCCESS) {
      if (name.get_string().get(text)) throw DataError(where() + ": category_name must be a string");
      const auto it = label_of_name.find(text);
      if (it == label_of_name.end()) {
        skip(where() + ": unknown category_name '" + std::string(text) + "'");
        continue;
      }
      d.label = it->second;
    } else if (category_labels) {
      const auto id = integer(field("category_id"), "category_id");
      const auto it = category_labels->find(id);
      if (it == category_labels->end()) {
        skip(where() + ": category_id " + std::to_string(id) + " is not a category of the ground truth");
        continue;
      }
      d.label = it->second;
    } else {
      d.label = integer(field("category_id"), "category_id");
      // Not skipped: an id outside 1..N says the whole file counts its categories otherwise (0-based ids would score
      // every class as the next one).
      if (d.label < 1 || d.label > static_cast<int64_t>(names.size()))
        throw DataError(where() + ": category_id " + std::to_string(d.label) + " outside 1.." + std::to_string(names.size()) +
                        " (category_id counts the classes from 1; give category_name, or shift 0-based ids)");
    }
    simdjson::dom::array box;
    if (field("bbox").get_array().get(box) || box.size() != 4) throw DataError(where() + ": bbox must be [x, y, w, h]");
    double b[4];
    size_t k = 0;
    for (const simdjson::dom::element v : box) b[k++] = number(v, "bbox");
    const double score = number(field("score"), "score");
    // Held in double, as pycocotools holds them; a box whose corners or area overflow a double is no box of any image.
    if (!std::isfinite(b[0] + b[2]) || !std::isfinite(b[1] + b[3]) || !std::isfinite(b[2] * b[3]))
      throw DataError(where() + ": bbox beyond the range of a double");
    d = detection_from_xywh(std::move(d.image_id), d.label, score, b[0], b[1], b[2], b[3]);
    out.push_back(std::move(d));
  }
  if (unknown_categories)
    spdlog::warn("{} detections of categories the evaluation does not know are not scored, such as {}", unknown_categories, first_unknown);
  return out;
}

}  // namespace ssd::eval
