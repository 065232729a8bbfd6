#include "ssd/data/image_files.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

namespace ssd::data {

bool is_image_file(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::set<std::string> known{".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"};
  return known.count(ext) > 0;
}

}  // namespace ssd::data
