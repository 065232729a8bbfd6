#include "ssd/data/formats/registry.h"

namespace ssd::data {

// Each in data/formats/<name>.cpp. A new format: its file, its declaration here and its name in the list below.
DataFormat voc_format();
DataFormat folder_format();
DataFormat coco_format();
DataFormat yolo_format();

const util::Registry<DataFormat>& format_registry() {
  // The order is --list-formats' and the order in which detect_format() asks.
  static const util::Registry<DataFormat> registry("data format", "data.train.format",
                                                   {voc_format(), folder_format(), coco_format(), yolo_format()});
  return registry;
}

std::string detect_format(const std::string& root, const std::string& split) {
  for (const auto& format : format_registry().entries())
    if (format.recognises && format.recognises(root, split)) return format.name;
  return "voc";
}

}  // namespace ssd::data
