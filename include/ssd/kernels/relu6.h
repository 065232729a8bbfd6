#pragma once
// min(max(x, 0), 6), torchvision's ReLU6 (in place, as there). LibTorch 1.13's CPU kernels have no bfloat16
// backward for it (hardtanh_backward), so under bfloat16 autocast on the CPU (train.amp) it is computed as a
// clamp, whose backward differs only where x is exactly 0 or 6 (the clamp passes the gradient there).
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace ssd::kernels {

class ReLU6Impl : public torch::nn::Module {
 public:
  at::Tensor forward(at::Tensor x);
};
TORCH_MODULE(ReLU6);

}  // namespace ssd::kernels
