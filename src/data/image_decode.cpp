#include "ssd/data/image_decode.h"

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace ssd::data {

namespace {

// A JPEG file ends with its end-of-image marker FF D9, perhaps followed by padding or a camera's trailer. Inside the
// compressed data an FF byte is always followed by 00 or a restart marker, so an FF D9 near the end is the real one.
bool jpeg_cut_short(const uchar* bytes, size_t size) {
  if (size < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return false;  // not a JPEG
  const size_t last = size - 2, first = last > 64 * 1024 + 2 ? last - 64 * 1024 : 2;  // the last 64 KiB
  for (size_t i = last + 1; i-- > first;)  // from the end: where a whole file has it
    if (bytes[i] == 0xFF && bytes[i + 1] == 0xD9) return false;
  return true;
}

// The formats the tools read (image_files.h's extensions), told by their first bytes. Any other file is refused before
// a decoder sees it: OpenCV would otherwise try each decoder it was built with, DICOM's among them, on files that
// may come from anywhere.
bool known_image_format(const uchar* b, size_t size) {
  auto starts = [&](std::initializer_list<uchar> sig, size_t at = 0) {
    return size >= at + sig.size() && std::equal(sig.begin(), sig.end(), b + at);
  };
  return starts({0xFF, 0xD8, 0xFF}) ||                                  // JPEG
         starts({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}) ||       // PNG
         starts({'B', 'M'}) ||                                          // BMP
         starts({'I', 'I', 0x2A, 0x00}) || starts({'M', 'M', 0x00, 0x2A}) ||  // TIFF
         (starts({'R', 'I', 'F', 'F'}) && starts({'W', 'E', 'B', 'P'}, 8));   // WebP
}

}  // namespace

cv::Mat read_bgr_image(const std::string& path, bool* truncated) {
  // The whole file in one read, into a buffer each thread keeps, then decoded from memory: cv::imread feeds
  // libjpeg through its stdio source in 4 KiB reads, which costs a few percent of the decode on small files
  // (bench/pipeline.py compares "read the file, decode" with decoding bytes already in memory).
  thread_local std::vector<uchar> bytes;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamsize size = in.tellg();
  if (size <= 0 || size > std::numeric_limits<int>::max()) return {};
  bytes.resize(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) return {};
  return decode_bgr_image(bytes.data(), bytes.size(), nullptr, truncated);
}

cv::Mat decode_bgr_image(const unsigned char* bytes, size_t size, DecodeFailure* failure, bool* truncated) {
  auto failed = [failure](DecodeFailure why) {
    if (failure) *failure = why;
    return cv::Mat();
  };
  if (failure) *failure = DecodeFailure::kNone;
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()) || !known_image_format(bytes, size))
    return failed(DecodeFailure::kUnknownFormat);
  if (truncated) *truncated = jpeg_cut_short(bytes, size);
  try {
    // A header over the buffer: imdecode reads it in place (it does not write through the pointer).
    cv::Mat image = cv::imdecode(cv::Mat(1, static_cast<int>(size), CV_8UC1, const_cast<unsigned char*>(bytes)), cv::IMREAD_COLOR);
    return image.empty() ? failed(DecodeFailure::kCorrupt) : image;
  } catch (const cv::Exception& e) {
    // OpenCV checks the declared size against its limits before it allocates (validateInputImageSize) and throws.
    const bool too_large = std::string(e.what()).find("validateInputImageSize") != std::string::npos;
    return failed(too_large ? DecodeFailure::kTooLarge : DecodeFailure::kCorrupt);
  }
}

cv::Mat read_rgb_image(const std::string& path, bool* truncated) {
  cv::Mat image = read_bgr_image(path, truncated);
  if (!image.empty()) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);  // in place: no second image to allocate
  return image;
}

}  // namespace ssd::data
