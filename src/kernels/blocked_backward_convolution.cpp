#include "ssd/kernels/blocked_backward_convolution.h"

#include <ATen/ops/convolution.h>
#include <ATen/ops/convolution_backward.h>
#include <torch/csrc/autograd/custom_function.h>

#include "ssd/kernels/conv2d.h"
#include "ssd/runtime/autocast_state.h"

namespace ssd::kernels {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct BlockedBackward : torch::autograd::Function<BlockedBackward> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input, const at::Tensor& weight,
                            const at::Tensor& bias, std::vector<int64_t> stride, std::vector<int64_t> padding,
                            std::vector<int64_t> dilation, int64_t groups) {
    ctx->save_for_backward({input, weight});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["bias_channels"] = bias.defined() ? bias.size(0) : int64_t{-1};
    return at::convolution(input, weight, bias, stride, padding, dilation, /*transposed=*/false, {0, 0}, groups);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& input = saved[0];
    const auto& weight = saved[1];
    const int64_t bias_channels = ctx->saved_data["bias_channels"].toInt();
    const std::vector<int64_t> bias_sizes{bias_channels};
    const auto bias_sizes_arg = bias_channels >= 0 ? at::OptionalIntArrayRef(bias_sizes) : at::OptionalIntArrayRef();
    auto [grad_input, grad_weight, grad_bias] = at::convolution_backward(
        grads[0].contiguous(), input.contiguous(), weight.contiguous(), bias_sizes_arg,
        ctx->saved_data["stride"].toIntVector(), ctx->saved_data["padding"].toIntVector(),
        ctx->saved_data["dilation"].toIntVector(), /*transposed=*/false, {0, 0}, ctx->saved_data["groups"].toInt(),
        {ctx->needs_input_grad(0), ctx->needs_input_grad(1), bias_channels >= 0 && ctx->needs_input_grad(2)});
    // Back to the layouts of input and weight: the layers upstream run channels-last, and a weight gradient in
    // another layout than its parameter would be copied by autograd anyway.
    if (grad_input.defined()) grad_input = grad_input.contiguous(input.suggest_memory_format());
    if (grad_weight.defined()) grad_weight = grad_weight.contiguous(weight.suggest_memory_format());
    return {grad_input, grad_weight, grad_bias, {}, {}, {}, {}};
  }
};

}  // namespace

bool prefers_blocked_backward(const at::Tensor& input, const at::Tensor& weight, int64_t groups) {
  if (!onednn_takes(input)) return false;
  if (!at::GradMode::is_enabled() || !(weight.requires_grad() || input.requires_grad())) return false;
  // Under autocast the convolution runs in bfloat16, whose kernels were not measured for this.
  if (runtime::autocast_enabled(c10::kCPU)) return false;
  if (input.suggest_memory_format() != at::MemoryFormat::ChannelsLast) return false;
  // 3x3 only: SSD's 1x1 layers spend 5-9 ms per step in their backward in either layout (bench/onednn_layers.py),
  // too little to pay for the copies.
  if (groups != 1 || weight.size(2) != 3 || weight.size(3) != 3) return false;
  return input.size(0) * input.size(2) * input.size(3) <= kBlockedBackwardMaxPixels;
}

at::Tensor blocked_backward_convolution(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                                        std::vector<int64_t> stride, std::vector<int64_t> padding,
                                        std::vector<int64_t> dilation, int64_t groups) {
  return BlockedBackward::apply(input, weight, bias, std::move(stride), std::move(padding), std::move(dilation),
                                groups);
}

}  // namespace ssd::kernels
