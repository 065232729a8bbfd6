#pragma once
// Reading an image file: the one function every tool decodes files with (training, evaluation, ssd-detect,
// the YOLO size scan), so that all of them see the same pixels.
#include <string>

#include <opencv2/core/mat.hpp>

namespace ssd::data {

/// The longest side, in pixels, of an image OpenCV decodes. Annotation readers refuse a declared side or a coordinate
/// beyond it: such a box lies outside any image the product can read, and past float's exact integers.
constexpr double kLargestImageSide = 1 << 20;

/// Decodes the image file at `path` as cv::imread(path, IMREAD_COLOR) would: BGR, CV_8UC3, EXIF orientation
/// applied. Empty when the file cannot be read or decoded (the caller names the file in its error), when its first
/// bytes are not those of a JPEG, PNG, BMP, TIFF or WebP file (no other decoder is tried on files from elsewhere), or
/// when it declares more than OpenCV's limit of 2^30 pixels (OPENCV_IO_MAX_IMAGE_PIXELS). `truncated`, when
/// given, is set for a JPEG file cut short: libjpeg decodes what is there and fills the rest grey, without an error.
cv::Mat read_bgr_image(const std::string& path, bool* truncated = nullptr);

/// The same pixels in RGB, the order the models are trained in: the one place where channel order is decided for
/// training, evaluation and detection (drawing and writing images stay BGR, OpenCV's order). Empty as above.
cv::Mat read_rgb_image(const std::string& path, bool* truncated = nullptr);

/// Why bytes from elsewhere (ssd-serve's request bodies) gave no image.
enum class DecodeFailure {
  kNone,
  kUnknownFormat,  ///< the first bytes are not those of a JPEG, PNG, BMP, TIFF or WebP file
  kCorrupt,        ///< a known format that its decoder refuses
  kTooLarge,       ///< declares more pixels or a longer side than OpenCV's limits (OPENCV_IO_MAX_IMAGE_PIXELS & co.)
};

/// Decodes an image held in memory as read_bgr_image decodes a file (the same format check, BGR, EXIF orientation
/// applied). Empty with `failure` set when it cannot; `truncated` as above.
cv::Mat decode_bgr_image(const unsigned char* bytes, size_t size, DecodeFailure* failure = nullptr, bool* truncated = nullptr);

}  // namespace ssd::data
