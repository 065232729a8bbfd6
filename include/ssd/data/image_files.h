#pragma once
// Which files in a folder are images: the one list used wherever a folder is scanned (ssd-detect's inputs,
// YOLO split folders).
#include <filesystem>

namespace ssd::data {

/// True for the extensions OpenCV decodes here, in any case: .jpg .jpeg .png .bmp .tif .tiff .webp.
bool is_image_file(const std::filesystem::path& path);

}  // namespace ssd::data
