#include "ssd/eval/detections_json.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "ssd/util/error.h"

namespace ssd::eval {

void write_detections_json(const std::string& path, const std::vector<Detection>& detections,
                           const std::vector<std::string>& names) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : detections) {
    out.push_back({{"image_id", d.image_id},
                   {"category_id", d.label},
                   {"category_name", names.at(static_cast<size_t>(d.label - 1))},
                   {"bbox", {d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1}},
                   {"score", d.score}});
  }
  std::ofstream f(path);
  if (!f) throw DataError(path + ": cannot write");
  f << out.dump(1) << "\n";
}

std::vector<Detection> read_detections_json(const std::string& path, const std::vector<std::string>& names,
                                            const std::map<int64_t, int64_t>* category_labels) {
  std::ifstream f(path);
  if (!f) throw DataError(path + ": detections file not found");
  nlohmann::json in;
  try {
    in = nlohmann::json::parse(f);
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(path + ": malformed JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  }
  if (!in.is_array()) throw DataError(path + ": expected a JSON array of detections (COCO results format)");
  std::vector<Detection> out;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto& e = in[i];
    const std::string where = path + ": entry [" + std::to_string(i) + "]";
    try {
      Detection d;
      d.image_id = e.at("image_id").is_string() ? e.at("image_id").get<std::string>() : std::to_string(e.at("image_id").get<int64_t>());
      if (e.contains("category_name")) {
        const auto name = e.at("category_name").get<std::string>();
        const auto it = std::find(names.begin(), names.end(), name);
        if (it == names.end()) throw DataError(where + ": unknown category_name '" + name + "'");
        d.label = (it - names.begin()) + 1;
      } else if (category_labels) {
        const auto id = e.at("category_id").get<int64_t>();
        const auto it = category_labels->find(id);
        if (it == category_labels->end()) throw DataError(where + ": category_id " + std::to_string(id) + " is not a category of the ground truth");
        d.label = it->second;
      } else {
        d.label = e.at("category_id").get<int64_t>();
        if (d.label < 1 || d.label > static_cast<int64_t>(names.size()))
          throw DataError(where + ": category_id " + std::to_string(d.label) + " outside 1.." + std::to_string(names.size()));
      }
      const auto& b = e.at("bbox");
      if (!b.is_array() || b.size() != 4) throw DataError(where + ": bbox must be [x, y, w, h]");
      d.x1 = b[0].get<float>(), d.y1 = b[1].get<float>();
      d.x2 = d.x1 + b[2].get<float>(), d.y2 = d.y1 + b[3].get<float>();
      d.score = e.at("score").get<float>();
      out.push_back(d);
    } catch (const nlohmann::json::exception& ex) {
      throw DataError(where + ": " + ex.what());
    }
  }
  return out;
}

}  // namespace ssd::eval
