#pragma once
// What a backbone reports about each feature map it feeds to the heads. Priors, heads and the summary
// are built from these, so no feature-map size is ever restated by hand.
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>

namespace ssd::model {

struct FeatureSpec {
  int64_t channels = 0;
  int64_t height = 0, width = 0;  ///< the map's rows and columns, in cells
  int64_t cells() const { return height * width; }
};

/// Channels, height and width of the output of `module` for an input of that shape.
/// Walks the module's children in registration order (the forward order of every module in this
/// project); Conv2d and MaxPool2d change the shape, every other leaf keeps it.
FeatureSpec infer_output(const torch::nn::Module& module, FeatureSpec input);

}  // namespace ssd::model
