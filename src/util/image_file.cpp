#include "ssd/util/image_file.h"

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "ssd/util/error.h"
#include "ssd/util/text_file.h"

namespace ssd::util {

void write_image_file(const std::string& path, const cv::Mat& image) {
  std::vector<uchar> bytes;
  const std::string extension = std::filesystem::path(path).extension().string();
  bool encoded = false;
  try {
    encoded = cv::imencode(extension.empty() ? ".png" : extension, image, bytes);
  } catch (const cv::Exception& e) {
    throw DataError(path + ": cannot encode the image: " + e.what());
  }
  if (!encoded) throw DataError(path + ": cannot encode the image as " + extension);
  write_text_file(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace ssd::util
