// The COCO instances reader (data/formats/coco.h) on arbitrary JSON.
#include "fuzz_support.h"
#include "ssd/data/formats/coco.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto json = ssd::fuzz::as_file("instances.json", data, size);
  const auto ignore = [](const std::string&, const std::string&) {};
  ssd::fuzz::expect_clean([&] { ssd::data::read_coco_instances(json, ssd::fuzz::scratch_dir(), {}, ignore); });
  ssd::fuzz::expect_clean([&] { ssd::data::read_coco_instances(json, ssd::fuzz::scratch_dir(), {"person", "car"}, ignore); });
  ssd::fuzz::expect_clean([&] { ssd::data::read_coco_categories(json); });
  ssd::fuzz::expect_clean([&] { ssd::data::count_coco_images(json); });
  return 0;
}
