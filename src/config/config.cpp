#include "ssd/config/config.h"

namespace ssd::config {

std::vector<std::string> voc_class_names() {
  return {"aeroplane", "bicycle", "bird",  "boat",      "bottle", "bus",         "car",
          "cat",       "chair",   "cow",   "diningtable", "dog",  "horse",       "motorbike",
          "person",    "pottedplant", "sheep", "sofa",  "train",  "tvmonitor"};
}

}  // namespace ssd::config
