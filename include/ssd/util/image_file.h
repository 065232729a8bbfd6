#pragma once
// Writing a picture (a chart, the report's plots) whole or not at all, as util/text_file.h writes text: encoded in
// memory by the file's extension, then written beside and renamed. A kill or a full disk never leaves a torn PNG.
#include <string>

#include <opencv2/core/mat.hpp>

namespace ssd::util {

/// Throws DataError naming `path` when the image cannot be encoded or written.
void write_image_file(const std::string& path, const cv::Mat& image);

}  // namespace ssd::util
