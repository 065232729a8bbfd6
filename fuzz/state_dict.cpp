// The reader of torch.save state-dict files (interop/state_dict_file.h) on arbitrary bytes: zip archives and the
// legacy pickle format alike.
#include "fuzz_support.h"
#include "ssd/interop/state_dict_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = ssd::fuzz::as_file("weights.pth", data, size);
  ssd::fuzz::expect_clean([&] { ssd::interop::read_state_dict(file); });
  return 0;
}
