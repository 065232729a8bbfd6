#pragma once
// Inference convolutions on oneDNN with the weights reordered once. ATen 1.13's oneDNN convolution takes the weights
// in PyTorch's layout and reorders them into oneDNN's blocked layout on every call: in an SSD300-VGG16 forward pass
// at batch 1, 10 of the 162 ms that oneDNN spends (`bench/onednn_layers.py -- --mode forward --batch 1`). Without
// gradients the weights do not change from one pass to the next, so kernels::Conv2d hands such convolutions here: a
// oneDNN primitive per input shape, built once, with the weights reordered once into the layout it asks for (one
// copy for every shape that asks for the same layout), on the same channels-last activations as ATen's path (no
// reorder of the activations either). Packed again when the weights change (their storage or version counter: a
// checkpoint loaded, a training step taken in between).
// Built where oneDNN's headers were found (Debian's libdnnl-dev, the library Debian's LibTorch runs on); elsewhere
// (an official LibTorch, which bundles its own copy) `packed_convolution_available()` is false and ATen's path runs.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace ssd::kernels {

/// True where this build has the packed path (oneDNN's headers found at configure time). Whether LibTorch runs
/// oneDNN at all (built with it, not switched off) is `prefers_packed_convolution`'s test.
bool packed_convolution_available();

/// True where `PackedConvolution` takes a convolution: the packed path available, no gradients to record (grad
/// mode off, or none of input, weight and bias requires them), no CPU autocast, non-empty float32 channels-last 4-D
/// CPU input, float32 weight and bias (`bias` may be undefined).
bool prefers_packed_convolution(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias);

/// One convolution layer's oneDNN primitives (one per input shape) and its packed weights.
class PackedConvolution {
 public:
  PackedConvolution(std::vector<int64_t> stride, std::vector<int64_t> padding, std::vector<int64_t> dilation,
                    int64_t groups);
  ~PackedConvolution();
  PackedConvolution(const PackedConvolution&) = delete;
  PackedConvolution& operator=(const PackedConvolution&) = delete;

  /// The convolution of `input` (channels-last) by `weight` plus `bias` (may be undefined), channels-last.
  at::Tensor run(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias);

  /// How many times the weights were reordered: once per weights layout the input shapes' primitives ask for
  /// (mostly one, whatever the batch), and again when the weights change.
  int64_t packs() const;

  /// How many packed copies of the weights are held now: one per distinct layout among the current primitives.
  int64_t weight_copies() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ssd::kernels
