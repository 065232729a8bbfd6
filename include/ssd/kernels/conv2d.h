#pragma once
// torch::nn::Conv2d (same options, parameters and state-dict names) whose forward sends to oneDNN the float32
// convolutions that ATen 1.13 would run on its slow reference kernel (`thnn_conv2d`): at batch 1, a dense
// convolution with at most 3x3 weights and at most 20,480 input elements (the SSD extra layers and heads on the
// 10x10 .. 1x1 maps). ATen picks that kernel for such shapes on the belief that it is faster; here an SSD300
// forward pass at batch 1 took 0.21-0.24 s with it and 0.18-0.19 s with oneDNN (docs/benchmarks/findings.md,
// section 6). During training, 3x3 convolutions on small channels-last maps take the blocked backward pass of
// blocked_backward_convolution.h; without gradients, channels-last convolutions run on weights packed once for
// oneDNN (packed_convolution.h). The result and its gradients are the same convolution.
#include <ATen/core/Tensor.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <memory>

#include "ssd/kernels/packed_convolution.h"

namespace ssd::kernels {

class Conv2dImpl : public torch::nn::Conv2dImpl {
 public:
  using torch::nn::Conv2dImpl::Conv2dImpl;
  at::Tensor forward(const at::Tensor& input);

  /// The packed weights this layer's last inference call ran on; null before one, and after a call that took
  /// another path (a training pass drops them).
  const PackedConvolution* packed_convolution() const { return packed_.get(); }

 private:
  std::shared_ptr<PackedConvolution> packed_;  // made on the first inference call that takes the packed path
};
TORCH_MODULE(Conv2d);

/// True where oneDNN can take a convolution of `input`: LibTorch built with it and not switched off, and `input` a
/// dense 4-D float32 CPU tensor. The first test of both routing rules (prefers_onednn, prefers_blocked_backward).
bool onednn_takes(const at::Tensor& input);

/// True where ATen 1.13 would run this convolution on its reference kernel although oneDNN could (the rule of its
/// ConvParams::use_mkldnn for CPU float32 tensors, except single-threaded 1x1 convolutions, for which ATen's
/// choice is deliberate).
bool prefers_onednn(const at::Tensor& input, const at::Tensor& weight, int64_t groups);

}  // namespace ssd::kernels
