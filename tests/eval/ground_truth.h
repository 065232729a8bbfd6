#pragma once
// Ground truth written inline in the metric tests: an image with its objects, and an object's box.
#include <string>
#include <vector>

#include "ssd/data/sample.h"

namespace ssd::test {

inline data::Annotation image(const std::string& id, std::vector<data::Object> objects) {
  data::Annotation a;
  a.id = id;
  a.image_path = id + ".jpg";
  a.objects = std::move(objects);
  return a;
}

inline data::Object box(float x1, float y1, float x2, float y2, int64_t label = 1, bool difficult = false) {
  return {x1, y1, x2, y2, label, difficult};
}

}  // namespace ssd::test
