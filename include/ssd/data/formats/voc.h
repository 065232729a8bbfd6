#pragma once
// Pascal VOC: the VOCdevkit layout (JPEGImages/, Annotations/, ImageSets/Main/<split>.txt), data format "voc". Its
// XML files are also what the folder layout holds (data/formats/folder.h). XML is read with tinyxml2.
#include <functional>
#include <string>
#include <vector>

#include "ssd/data/formats/registry.h"
#include "ssd/data/sample.h"

namespace ssd::data {

/// Parses one VOC XML file. Throws DataError naming the file (and the line) when the XML is malformed or has no
/// <annotation>. An object that cannot be used (a class not in `classes`, no or two <bndbox>, xmin > xmax, a box
/// wholly outside <size>) goes to issues->bad_object and is left out, the image kept; without `issues` it is a
/// DataError. VOC boxes are 1-based and inclusive (the devkit's rule): xmin == xmax is one pixel wide, and a box
/// reaching past the image (a 0 from a 0-based converter) is clipped to it, reported to issues->fixed, as is a
/// <difficult> that is neither 0 nor 1 (read as 0).
Annotation read_voc_xml(const std::string& xml_path, const std::string& image_path, const std::vector<std::string>& classes,
                        const DataIssues* issues = nullptr);

/// The image ids of a VOC split (ImageSets/Main/<split>.txt under root). DataError when missing.
std::vector<std::string> read_voc_split(const std::string& root, const std::string& split);

/// Ids from a split file, one per line (first field; VOC's per-class files add a second one). DataError when missing.
std::vector<std::string> read_voc_split_file(const std::string& path);

/// The annotations of `ids`, whose image and XML paths `paths_of(id)` gives; an XML file that cannot be read goes to
/// issues.bad_file with the file and the reason (the DataError's own words), bad objects to issues.bad_object.
std::vector<Annotation> read_voc_annotations(const std::vector<std::string>& ids,
                                             const std::function<std::pair<std::string, std::string>(const std::string&)>& paths_of,
                                             const std::vector<std::string>& classes, const DataIssues& issues);

/// Image and annotation paths of one id in a VOC root: JPEGImages/<id>.jpg (or .png / .jpeg) and Annotations/<id>.xml.
std::pair<std::string, std::string> voc_paths(const std::string& root, const std::string& id);

}  // namespace ssd::data
