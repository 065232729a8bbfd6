#pragma once
// Pascal VOC: the VOCdevkit layout (JPEGImages/, Annotations/, ImageSets/Main/<split>.txt) and the plain
// folder layout (images/ + annotations/ with matching stems, VOC XML). XML is read with tinyxml2.
#include <string>
#include <vector>

#include "ssd/data/sample.h"

namespace ssd::data {

/// Parses one VOC XML file. Throws DataError naming the file (and the element) when the XML is malformed,
/// a box has xmin >= xmax / ymin >= ymax or lies outside <size>, or a class is not in `classes`.
Annotation read_voc_xml(const std::string& xml_path, const std::string& image_path,
                        const std::vector<std::string>& classes);

/// The image ids of a VOC split (ImageSets/Main/<split>.txt under root). DataError when missing.
std::vector<std::string> read_voc_split(const std::string& root, const std::string& split);

/// Ids from a split file, one per line (first field; VOC's per-class files add a second one). DataError when missing.
std::vector<std::string> read_voc_split_file(const std::string& path);

/// Image and annotation paths of one id in a VOC root: JPEGImages/<id>.jpg (or .png / .jpeg) and Annotations/<id>.xml.
std::pair<std::string, std::string> voc_paths(const std::string& root, const std::string& id);

}  // namespace ssd::data
