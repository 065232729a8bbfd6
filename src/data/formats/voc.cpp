#include "ssd/data/formats/voc.h"

#include <tinyxml2.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ssd/data/image_decode.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::data {

namespace {

std::string text_of(const tinyxml2::XMLElement* parent, const char* name, const std::string& file) {
  const auto* e = parent->FirstChildElement(name);
  if (!e || !e->GetText())
    throw DataError(file + ":" + std::to_string(parent->GetLineNum()) + ": <" + parent->Name() + "> has no <" + name + ">");
  return e->GetText();
}

double number_of(const tinyxml2::XMLElement* parent, const char* name, const std::string& file) {
  const std::string text = text_of(parent, name, file);
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size() && text.find_first_not_of(" \t\r\n", used) != std::string::npos) throw std::invalid_argument(text);
    if (!std::isfinite(v)) throw std::invalid_argument(text);  // stod reads "nan" and "inf"
    return v;
  } catch (const std::exception&) {
    throw DataError(file + ":" + std::to_string(parent->FirstChildElement(name)->GetLineNum()) + ": <" + name +
                    "> is not a number: '" + text + "'");
  }
}

// One <object>, clipped to the image; DataError naming its line when it cannot be used.
Object read_object(const tinyxml2::XMLElement* obj, const Annotation& a, const std::vector<std::string>& classes, const std::string& xml_path,
                   const DataIssues* issues) {
  const std::string where = xml_path + ":" + std::to_string(obj->GetLineNum());
  const std::string name = text_of(obj, "name", xml_path);
  const auto it = std::find(classes.begin(), classes.end(), name);
  if (it == classes.end()) throw DataError(where + ": unknown class '" + name + "' (not in data.classes)");
  const auto* box = obj->FirstChildElement("bndbox");
  if (!box) throw DataError(where + ": no <bndbox>");
  if (box->NextSiblingElement("bndbox")) throw DataError(where + ": several <bndbox> in one <object>: which one is meant?");
  const double xmin = number_of(box, "xmin", xml_path), ymin = number_of(box, "ymin", xml_path);
  const double xmax = number_of(box, "xmax", xml_path), ymax = number_of(box, "ymax", xml_path);
  std::ostringstream corners;
  corners << "(xmin " << xmin << ", ymin " << ymin << ", xmax " << xmax << ", ymax " << ymax << ")";
  for (const double v : {xmin, ymin, xmax, ymax})
    if (std::abs(v) > kLargestImageSide) throw DataError(where + ": box lies outside any image: " + corners.str());
  // 1-based and inclusive: xmin == xmax is one pixel wide.
  if (xmin > xmax || ymin > ymax) throw DataError(where + ": degenerate box " + corners.str() + ": expected xmin <= xmax and ymin <= ymax");
  Object o;
  o.x1 = static_cast<float>(xmin - 1);
  o.y1 = static_cast<float>(ymin - 1);
  o.x2 = static_cast<float>(xmax);
  o.y2 = static_cast<float>(ymax);
  o.label = (it - classes.begin()) + 1;
  // Below 0 here (a 0 from a 0-based converter); past the right or bottom edge when the image is decoded
  // (DetectionDataset::load): <size> may be wrong, the pixels are not.
  if (o.x2 <= 0 || o.y2 <= 0) throw DataError(where + ": box lies outside the image: " + corners.str());
  if (o.x1 < 0 || o.y1 < 0) {
    o.x1 = std::max(o.x1, 0.f), o.y1 = std::max(o.y1, 0.f);
    if (issues) issues->fixed(where, "clipped to the image: " + corners.str() + " starts before pixel 1 (VOC boxes are 1-based)");
  }
  if (const auto* d = obj->FirstChildElement("difficult"); d && d->GetText()) {
    const std::string flag = d->GetText();
    if (flag == "1" || flag == "true" || flag == "True") o.difficult = true;
    else if (flag != "0" && flag != "false" && flag != "False" && issues)
      issues->fixed(xml_path + ":" + std::to_string(d->GetLineNum()), "<difficult> read as 0: '" + flag + "' is neither 0 nor 1");
  }
  return o;
}

}  // namespace

Annotation read_voc_xml(const std::string& xml_path, const std::string& image_path, const std::vector<std::string>& classes,
                        const DataIssues* issues) {
  tinyxml2::XMLDocument doc;
  if (doc.LoadFile(xml_path.c_str()) != tinyxml2::XML_SUCCESS) {
    if (!fs::exists(xml_path)) throw DataError(xml_path + ": annotation file not found");
    throw DataError(xml_path + ":" + std::to_string(doc.ErrorLineNum()) + ": malformed XML: " + doc.ErrorStr());
  }
  const auto* root = doc.FirstChildElement("annotation");
  if (!root) throw DataError(xml_path + ": no <annotation> root element");
  Annotation a;
  a.id = fs::path(xml_path).stem().string();
  a.image_path = image_path;
  if (const auto* size = root->FirstChildElement("size")) {
    const double width = number_of(size, "width", xml_path), height = number_of(size, "height", xml_path);
    if (width >= 0 && height >= 0 && width <= kLargestImageSide && height <= kLargestImageSide) {
      a.width = static_cast<int>(width), a.height = static_cast<int>(height);
    } else {
      // The decoded pixels decide the size in the end (DetectionDataset::load); a <size> no image can have is no help.
      const std::string what = xml_path + ":" + std::to_string(size->GetLineNum());
      std::ostringstream why;
      why << "<size> ignored: width " << width << ", height " << height << " is not the size of an image; the decoded pixels decide";
      if (!issues) throw DataError(what + ": " + why.str());
      issues->fixed(what, why.str());
    }
  }
  for (const auto* obj = root->FirstChildElement("object"); obj; obj = obj->NextSiblingElement("object")) {
    try {
      a.objects.push_back(read_object(obj, a, classes, xml_path, issues));
    } catch (const DataError& e) {
      if (!issues) throw;
      const std::string what = e.what();  // "file:line: reason"
      const size_t colon = what.find(": ");
      issues->bad_object(what.substr(0, colon), colon == std::string::npos ? what : what.substr(colon + 2));
    }
  }
  return a;
}

std::vector<std::string> read_voc_split(const std::string& root, const std::string& split) {
  return read_voc_split_file((fs::path(root) / "ImageSets" / "Main" / (split + ".txt")).string());
}

std::vector<std::string> read_voc_split_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataError(path + ": split file not found");
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id;
    if (fields >> id) ids.push_back(id);
  }
  return ids;
}

std::pair<std::string, std::string> voc_paths(const std::string& root, const std::string& id) {
  const fs::path images = fs::path(root) / "JPEGImages";
  std::string image = (images / (id + ".jpg")).string();
  for (const char* ext : {".jpg", ".png", ".jpeg", ".JPG", ".PNG"}) {
    const auto candidate = images / (id + ext);
    if (fs::exists(candidate)) {
      image = candidate.string();
      break;
    }
  }
  return {image, (fs::path(root) / "Annotations" / (id + ".xml")).string()};
}

std::vector<Annotation> read_voc_annotations(const std::vector<std::string>& ids,
                                             const std::function<std::pair<std::string, std::string>(const std::string&)>& paths_of,
                                             const std::vector<std::string>& classes, const DataIssues& issues) {
  std::vector<Annotation> out;
  for (const auto& id : ids) {
    const auto [image, xml] = paths_of(id);
    try {
      out.push_back(read_voc_xml(xml, image, classes, &issues));
    } catch (const DataError& e) {
      // The reader's messages start with the file they are about ("a.xml:3: ..."): that is the file to report.
      const std::string what = e.what();
      const size_t colon = what.find(": ");
      issues.bad_file(colon == std::string::npos ? xml : what.substr(0, colon), colon == std::string::npos ? what : what.substr(colon + 2));
    }
  }
  return out;
}

DataFormat voc_format() {
  return {"voc", "VOCdevkit: JPEGImages/, Annotations/<id>.xml, ImageSets/Main/<split>.txt (several roots join: VOC2007 + VOC2012)",
          [](const SplitSource& s, const DataIssues& issues) {
            return read_voc_annotations(read_voc_split(s.root, s.split), [&](const std::string& id) { return voc_paths(s.root, id); },
                                        s.classes, issues);
          },
          [](const SplitSource& s) { return read_voc_split(s.root, s.split).size(); },
          /*recognises=*/nullptr};
}

}  // namespace ssd::data
