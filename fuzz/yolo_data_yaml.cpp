// data.yaml of the YOLO format (data/formats/yolo.h) as arbitrary YAML.
#include "fuzz_support.h"
#include "ssd/data/formats/yolo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto yaml = ssd::fuzz::as_file("data.yaml", data, size);
  // (Only the file: its split paths would send the fuzzer through whatever folders they name.)
  ssd::fuzz::expect_clean([&] { ssd::data::read_yolo_data_yaml(yaml); });
  return 0;
}
