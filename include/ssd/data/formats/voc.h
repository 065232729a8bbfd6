#pragma once
// Pascal VOC: the VOCdevkit layout (JPEGImages/, Annotations/, ImageSets/Main/<split>.txt), data format "voc". Its
// XML files are also what the folder layout holds (data/formats/folder.h). XML is read with tinyxml2.
#include <functional>
#include <string>
#include <vector>

#include "ssd/data/formats/registry.h"
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

/// The annotations of `ids`, whose image and XML paths `paths_of(id)` gives; an XML file that cannot be read goes to
/// on_bad with the file and the reason (the DataError's own words).
std::vector<Annotation> read_voc_annotations(const std::vector<std::string>& ids,
                                             const std::function<std::pair<std::string, std::string>(const std::string&)>& paths_of,
                                             const std::vector<std::string>& classes, const OnBadFile& on_bad);

/// Image and annotation paths of one id in a VOC root: JPEGImages/<id>.jpg (or .png / .jpeg) and Annotations/<id>.xml.
std::pair<std::string, std::string> voc_paths(const std::string& root, const std::string& id);

}  // namespace ssd::data
