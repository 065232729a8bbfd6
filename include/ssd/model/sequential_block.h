#pragma once
// A Sequential that can be nested inside another Sequential. LibTorch's AnyModule cannot hold a plain
// nn::Sequential (its forward is a template), so blocks such as conv-BN-ReLU6 use this one.
#include <ATen/core/Tensor.h>
#include <torch/nn/modules/container/sequential.h>

namespace ssd::model {

class SequentialBlockImpl : public torch::nn::SequentialImpl {
 public:
  using torch::nn::SequentialImpl::SequentialImpl;
  at::Tensor forward(at::Tensor x) { return torch::nn::SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(SequentialBlock);

}  // namespace ssd::model
