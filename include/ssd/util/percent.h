#pragma once
// A share printed as a percentage ("37.8%"), "n/a" for NaN: how the tools report shares of boxes and of resamples.
#include <fmt/format.h>

#include <cmath>
#include <string>

namespace ssd::util {

inline std::string percent(double share, int decimals = 0) {
  return std::isnan(share) ? std::string("n/a") : fmt::format("{:.{}f}%", 100 * share, decimals);
}

}  // namespace ssd::util
