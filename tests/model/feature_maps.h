#pragma once
// The side and channel lists of a model's feature maps, for comparing with the paper's tables and torchvision's.
#include <vector>

#include "ssd/model/feature_spec.h"

namespace ssd::test {

inline std::vector<int64_t> sizes_of(const std::vector<model::FeatureSpec>& specs) {
  std::vector<int64_t> out;
  for (const auto& s : specs) out.push_back(s.height == s.width ? s.height : -1);  // a square map's side
  return out;
}

inline std::vector<int64_t> channels_of(const std::vector<model::FeatureSpec>& specs) {
  std::vector<int64_t> out;
  for (const auto& s : specs) out.push_back(s.channels);
  return out;
}

}  // namespace ssd::test
