#pragma once
// A 3x3 convolution on channels-last tensors whose backward pass runs in the plain NCHW layout, so that oneDNN
// computes it with its blocked-layout kernels instead of its channels-last ones.
//
// Why: with oneDNN 2.6 (LibTorch 1.13) the channels-last forward kernels are as fast as the blocked ones, but the
// channels-last backward kernels are slower: at batch 1 in SSD300-VGG16, before this pass, the data gradients of the
// 38x38 and 19x19 layers and the dilated fc6 took 101-108 ms per step channels-last against 77-78 ms from NCHW
// tensors, their weight gradients 87-95 against 81-84 ms, and the 75x75 layers' 55-56 against 43 ms and 68-70
// against 48-49 ms (`bench/onednn_layers.py -- --batch 1 --iters 8`, run twice at commit 71fb444). Converting the
// saved input, the output gradient and the weight to NCHW and the gradients back costs more than the larger maps
// gain, so the rule stops at 75x75 input positions per batch (docs/benchmarks/findings.md, section 6).
#include <ATen/core/Tensor.h>

#include <vector>

namespace ssd::kernels {

/// At most this many input positions (batch x height x width) for the blocked backward pass: SSD300-VGG16's
/// layers from conv3 (75x75) down at batch 1; at batch 8 only the 19x19 ones and smaller.
inline constexpr int64_t kBlockedBackwardMaxPixels = 75 * 75;

/// True where the convolution of `input` (a channels-last float32 CPU tensor that needs gradients) by a dense 3x3
/// `weight` should take the blocked backward pass.
bool prefers_blocked_backward(const at::Tensor& input, const at::Tensor& weight, int64_t groups);

/// ATen's convolution forward (the same result); its backward returns the three gradients in the layouts of
/// input and weight (channels-last), computed on NCHW copies. That backward is not itself differentiable (no
/// gradients of gradients, which SSD's training never takes).
at::Tensor blocked_backward_convolution(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                                        std::vector<int64_t> stride, std::vector<int64_t> padding,
                                        std::vector<int64_t> dilation, int64_t groups);

}  // namespace ssd::kernels
