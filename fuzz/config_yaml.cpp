// The config loader (config/load.h) on arbitrary YAML text, and as an override.
#include "fuzz_support.h"
#include "ssd/config/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ssd::fuzz::expect_clean([&] { ssd::config::load_config_text(text, "<fuzz>"); });
  ssd::fuzz::expect_clean([&] { ssd::config::load_config("", {text}); });
  return 0;
}
