#include "ssd/kernels/conv2d.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/ops/mkldnn_convolution.h>

#include <variant>

#include "ssd/kernels/blocked_backward_convolution.h"

namespace ssd::kernels {

namespace {
constexpr int64_t kAtenSmallInput = 20480;  // ATen 1.13: "for some case, native is faster" below this many elements
}  // namespace

bool onednn_takes(const at::Tensor& input) {
  return at::hasMKLDNN() && at::globalContext().userEnabledMkldnn() && input.is_cpu() && !input.is_mkldnn() &&
         input.scalar_type() == at::kFloat && input.dim() == 4;
}

bool prefers_onednn(const at::Tensor& input, const at::Tensor& weight, int64_t groups) {
  if (!onednn_takes(input)) return false;
  const bool one_by_one = weight.size(2) == 1 && weight.size(3) == 1;
  if (one_by_one && at::get_num_threads() == 1) return false;
  const bool aten_takes_onednn = groups > 1 || (weight.size(2) > 3 && weight.size(3) > 3) || input.size(0) > 1 ||
                                 input.numel() > kAtenSmallInput;
  return !aten_takes_onednn;
}

at::Tensor Conv2dImpl::forward(const at::Tensor& input) {
  // c10::variant in LibTorch 1.x, std::variant in 2.x: argument-dependent lookup picks the matching get_if (the
  // using-declaration only makes the call parse), as in feature_spec.cpp.
  using std::get_if;
  const auto* padding = get_if<torch::ExpandingArray<2>>(&options.padding());
  const bool zeros = get_if<torch::enumtype::kZeros>(&options.padding_mode()) != nullptr;
  if (padding == nullptr || !zeros) return torch::nn::Conv2dImpl::forward(input);
  const int64_t groups = options.groups();
  const auto vec = [](const torch::ExpandingArray<2>& a) { return std::vector<int64_t>(a->begin(), a->end()); };
  if (prefers_packed_convolution(input, weight, bias)) {
    if (!packed_)
      packed_ = std::make_shared<PackedConvolution>(vec(options.stride()), vec(*padding), vec(options.dilation()), groups);
    return packed_->run(input, weight, bias);
  }
  // A training pass after an evaluation: the packed copy of the weights is stale and would only hold memory.
  packed_.reset();
  if (prefers_onednn(input, weight, groups))
    return at::mkldnn_convolution(input, weight, bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt,
                                  *padding, options.stride(), options.dilation(), groups);
  if (prefers_blocked_backward(input, weight, groups)) {
    return blocked_backward_convolution(input, weight, bias, vec(options.stride()), vec(*padding),
                                        vec(options.dilation()), groups);
  }
  return torch::nn::Conv2dImpl::forward(input);
}

}  // namespace ssd::kernels
