#pragma once
// MobileNetV2 (Sandler et al. 2018) as an SSD-Lite backbone. Sources: the expansion output of the first
// stride-32 block (stride 16, 576 x width channels) and the last 1x1 convolution (stride 32, 1280), then
// four extra blocks (1x1 reduce, depthwise 3x3 stride 2, 1x1 expand; 512, 256, 256, 128 x width).
// At 320 px the maps are 20, 10, 5, 3, 2, 1. Layer names follow torchvision's mobilenet_v2 (features.N.conv.M),
// batch norm uses eps 0.001 and momentum 0.03 as torchvision's SSD-Lite does.
#include <utility>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include "ssd/model/backbone.h"
#include "ssd/model/weight_maps.h"

namespace ssd::model {

/// MobileNetV2 block: [1x1 expand] -> 3x3 depthwise -> 1x1 linear projection, residual when shapes allow.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand_ratio);
  at::Tensor forward(const at::Tensor& x);
  /// (output of the expansion layer, block output): the expansion output is an SSD-Lite source.
  std::pair<at::Tensor, at::Tensor> forward_with_expansion(const at::Tensor& x);
  bool has_expansion() const { return has_expansion_; }

 private:
  bool use_residual_;
  bool has_expansion_;
  torch::nn::Sequential conv_{nullptr};
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2Backbone : public Backbone {
 public:
  explicit MobileNetV2Backbone(const BackboneOptions& options);
  std::vector<at::Tensor> forward(const at::Tensor& images) override;
  std::vector<FeatureSpec> output_specs(const config::ImageSize& image_size) const override;
  std::string default_head() const override { return "ssdlite"; }
  std::string default_priors(const config::ImageSize&) const override { return "scales"; }

 private:
  torch::nn::Sequential features_{nullptr};
  torch::nn::ModuleList extra_{nullptr};
  int64_t tap_index_ = 0;  ///< index in features_ of the block whose expansion output is source 1
};

/// Channel count rounded to a multiple of 8, never below 90% of the request (torchvision's _make_divisible).
int64_t make_divisible(double value, int64_t divisor = 8);

/// torchvision's ImageNet MobileNetV2 files (mobilenet_v2-b0353104.pth, -7ebf99e0.pth): features.* by name, batch-norm
/// statistics included.
ImageNetWeights mobilenet_v2_imagenet_weights();

/// SSD-Lite MobileNetV2 in torchvision's parts (torchvision has no builder for it): SSD over mobilenet_v2's features,
/// its _extra_block and SSDLiteHead, as ssd-export's loader script assembles it; the names below backbone. are ours.
TorchvisionDetector mobilenet_v2_torchvision_detector();

}  // namespace ssd::model
