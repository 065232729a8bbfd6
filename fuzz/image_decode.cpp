// Image decoding (data/image_decode.h), the one path every tool reads images through, on arbitrary bytes.
#include "fuzz_support.h"
#include "ssd/data/image_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = ssd::fuzz::as_file("image", data, size);
  bool truncated = false;
  ssd::fuzz::expect_clean([&] { ssd::data::read_rgb_image(file, &truncated); });
  return 0;
}
