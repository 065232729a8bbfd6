#include "ssd/kernels/conv2d.h"
#include "ssd/kernels/blocked_backward_convolution.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/autograd/function.h>

namespace {

namespace nn = torch::nn;

struct Gradients {
  at::Tensor output, input, weight, bias;
};

// Forward and backward of `conv`'s convolution, run by `forward`, on a copy of `x`.
template <typename Forward>
Gradients run(nn::Conv2dImpl& conv, const at::Tensor& x, Forward forward, std::string* grad_fn = nullptr) {
  auto input = x.clone().requires_grad_(true);
  conv.zero_grad();
  auto y = forward(input);
  if (grad_fn != nullptr) *grad_fn = y.grad_fn()->name();
  (y * y).sum().backward();
  return {y.detach(), input.grad(), conv.weight.grad().clone(), conv.bias.grad().clone()};
}

void expect_close(const Gradients& a, const Gradients& b) {
  EXPECT_TRUE(at::allclose(a.output, b.output, 1e-4, 1e-4));
  EXPECT_TRUE(at::allclose(a.input, b.input, 1e-4, 1e-3));
  EXPECT_TRUE(at::allclose(a.weight, b.weight, 1e-4, 1e-3));
  EXPECT_TRUE(at::allclose(a.bias, b.bias, 1e-4, 1e-3));
}

}  // namespace

// The SSD300 extra layers' shape at batch 1: ATen's rule sends it to its reference kernel, ours to oneDNN; both
// are the same convolution, forward and backward, in both memory layouts.
TEST(Conv2d, BatchOneSmallMapRunsOneDnnAndComputesTheSameConvolution) {
  at::manual_seed(0);
  ssd::kernels::Conv2d conv(nn::Conv2dOptions(128, 256, 3).stride(2).padding(1));
  for (auto format : {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
    const auto x = at::randn({1, 128, 10, 10}).contiguous(format);
    ASSERT_TRUE(ssd::kernels::prefers_onednn(x, conv->weight, 1));
    std::string ours_fn, aten_fn;
    const auto ours = run(*conv, x, [&](const at::Tensor& in) { return conv->forward(in); }, &ours_fn);
    const auto aten = run(*conv, x, [&](const at::Tensor& in) { return conv->nn::Conv2dImpl::forward(in); }, &aten_fn);
    EXPECT_EQ(ours_fn, "MkldnnConvolutionBackward0");
    EXPECT_NE(aten_fn, ours_fn);
    expect_close(ours, aten);
  }
}

// Shapes ATen already sends to oneDNN (a batch, a large map, grouped) or keeps deliberately (1x1 on one thread)
// take ATen's own path unchanged.
TEST(Conv2d, OtherShapesKeepAtensChoice) {
  const auto w3 = at::zeros({8, 8, 3, 3}), w1 = at::zeros({8, 8, 1, 1});
  EXPECT_FALSE(ssd::kernels::prefers_onednn(at::zeros({2, 8, 5, 5}), w3, 1));
  EXPECT_FALSE(ssd::kernels::prefers_onednn(at::zeros({1, 8, 64, 64}), w3, 1));
  EXPECT_FALSE(ssd::kernels::prefers_onednn(at::zeros({1, 8, 5, 5}), at::zeros({8, 1, 3, 3}), 8));
  EXPECT_FALSE(ssd::kernels::prefers_onednn(at::zeros({1, 8, 5, 5}, at::kDouble), w3.to(at::kDouble), 1));
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  EXPECT_FALSE(ssd::kernels::prefers_onednn(at::zeros({1, 8, 5, 5}), w1, 1));
  EXPECT_TRUE(ssd::kernels::prefers_onednn(at::zeros({1, 8, 5, 5}), w3, 1));
  at::set_num_threads(threads);
}

// SSD300's dilated fc6 and a 19x19 layer at batch 1, channels-last: the backward pass runs on NCHW copies (oneDNN's
// blocked kernels) and gives ATen's gradients, in the layouts of the input and the parameter.
TEST(Conv2d, SmallChannelsLastMapsTakeTheBlockedBackwardPassWithTheSameGradients) {
  at::manual_seed(0);
  const auto cl = at::MemoryFormat::ChannelsLast;
  for (int64_t dilation : {1, 6}) {
    ssd::kernels::Conv2d conv(nn::Conv2dOptions(64, 48, 3).padding(dilation).dilation(dilation));
    conv->weight.set_data(conv->weight.contiguous(cl));
    const auto x = at::randn({1, 64, 19, 19}).contiguous(cl);
    EXPECT_TRUE(ssd::kernels::prefers_blocked_backward(x, conv->weight, 1));
    std::string ours_fn, aten_fn;
    const auto ours = run(*conv, x, [&](const at::Tensor& in) { return conv->forward(in); }, &ours_fn);
    const auto aten = run(*conv, x, [&](const at::Tensor& in) { return conv->nn::Conv2dImpl::forward(in); }, &aten_fn);
    EXPECT_NE(ours_fn.find("BlockedBackward"), std::string::npos) << ours_fn;
    EXPECT_EQ(aten_fn, "ConvolutionBackward0");
    expect_close(ours, aten);
    EXPECT_TRUE(ours.input.is_contiguous(cl));
    EXPECT_TRUE(ours.weight.is_contiguous(cl));
  }
}

// Outside the rule: larger maps, NCHW inputs, 1x1 and grouped weights, inference, double precision.
TEST(Conv2d, OtherConvolutionsKeepAtensBackwardPass) {
  const auto cl = at::MemoryFormat::ChannelsLast;
  const auto w3 = at::zeros({8, 8, 3, 3}).contiguous(cl).requires_grad_(true);
  const auto map = [&](int64_t n, int64_t side) { return at::zeros({n, 8, side, side}).contiguous(cl); };
  EXPECT_TRUE(ssd::kernels::prefers_blocked_backward(map(1, 75), w3, 1));
  EXPECT_FALSE(ssd::kernels::prefers_blocked_backward(map(1, 76), w3, 1));
  EXPECT_FALSE(ssd::kernels::prefers_blocked_backward(map(2, 75), w3, 1));
  EXPECT_FALSE(ssd::kernels::prefers_blocked_backward(at::zeros({1, 8, 19, 19}), w3, 1));
  EXPECT_FALSE(ssd::kernels::prefers_blocked_backward(map(1, 19), at::zeros({8, 8, 1, 1}).requires_grad_(true), 1));
  EXPECT_FALSE(ssd::kernels::prefers_blocked_backward(map(1, 19), at::zeros({8, 1, 3, 3}).requires_grad_(true), 8));
  EXPECT_FALSE(ssd::kernels::prefers_blocked_backward(map(1, 19).to(at::kDouble), w3.to(at::kDouble), 1));
  at::NoGradGuard no_grad;
  EXPECT_FALSE(ssd::kernels::prefers_blocked_backward(map(1, 19), w3, 1));
}
