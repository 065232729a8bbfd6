// The results-file reader of ssd-eval --dets (eval/detections_json.h) on arbitrary JSON, with VOC-style class names
// and with COCO category ids.
#include "fuzz_support.h"
#include "ssd/eval/detections_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto json = ssd::fuzz::as_file("results.json", data, size);
  const std::vector<std::string> classes{"circle", "square", "triangle", "star"};
  const std::map<int64_t, int64_t> coco{{1, 1}, {3, 2}, {90, 3}, {0, 4}};
  ssd::fuzz::expect_clean([&] { ssd::eval::read_detections_json(json, classes); });
  ssd::fuzz::expect_clean([&] { ssd::eval::read_detections_json(json, classes, &coco); });
  return 0;
}
