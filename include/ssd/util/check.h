#pragma once
// SSD_CHECK: invariant checks with "expected ..., got ..." messages (torchvision style).
// For internal contracts only; user input gets ConfigError / DataError with file context instead.
#include <sstream>
#include <stdexcept>
#include <string>

namespace ssd::detail {
template <typename... Parts>
[[noreturn]] void check_failed(const char* file, int line, const char* cond, const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  std::string msg = os.str();
  if (msg.empty()) msg = std::string("check failed: ") + cond;
  throw std::invalid_argument(msg + " [" + file + ":" + std::to_string(line) + "]");
}
}  // namespace ssd::detail

#define SSD_CHECK(cond, ...)                                                        \
  do {                                                                              \
    if (!(cond)) ::ssd::detail::check_failed(__FILE__, __LINE__, #cond, ##__VA_ARGS__); \
  } while (0)
