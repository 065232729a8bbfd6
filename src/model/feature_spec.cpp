#include "ssd/model/feature_spec.h"

#include <cmath>
#include <variant>

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>

#include "ssd/util/check.h"

namespace ssd::model {

namespace {
int64_t window_out(int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation, bool ceil_mode) {
  const double span = static_cast<double>(in + 2 * padding - dilation * (kernel - 1) - 1) / stride;
  int64_t out = (ceil_mode ? static_cast<int64_t>(std::ceil(span)) : static_cast<int64_t>(std::floor(span))) + 1;
  // PyTorch's rule: with ceil_mode the last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * stride >= in + padding) --out;
  return out;
}
}  // namespace

FeatureSpec infer_output(const torch::nn::Module& module, FeatureSpec x) {
  if (const auto* conv = module.as<torch::nn::Conv2dImpl>()) {
    const auto& o = conv->options;
    // LibTorch 1.x keeps padding in a c10::variant, 2.x in a std::variant: the using-declaration makes the
    // call parse, and argument-dependent lookup picks the get_if of whichever variant this LibTorch uses.
    using std::get_if;
    const auto* padding = get_if<torch::ExpandingArray<2>>(&o.padding());
    SSD_CHECK(padding != nullptr, "infer_output: expected numeric Conv2d padding");
    const auto axis = [&](int64_t in, size_t a) {
      return window_out(in, (*o.kernel_size())[a], (*o.stride())[a], (**padding)[a], (*o.dilation())[a], false);
    };
    return {o.out_channels(), axis(x.height, 0), axis(x.width, 1)};
  }
  if (const auto* pool = module.as<torch::nn::MaxPool2dImpl>()) {
    const auto& o = pool->options;
    const auto axis = [&](int64_t in, size_t a) {
      return window_out(in, (*o.kernel_size())[a], (*o.stride())[a], (*o.padding())[a], (*o.dilation())[a], o.ceil_mode());
    };
    return {x.channels, axis(x.height, 0), axis(x.width, 1)};
  }
  for (const auto& child : module.children()) x = infer_output(*child, x);
  return x;
}

}  // namespace ssd::model
