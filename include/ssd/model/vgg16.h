#pragma once
// VGG16-reduced SSD backbone (Liu et al. 2016): conv1_1..conv4_3 (source 1, through an L2Norm with a
// learned per-channel scale initialised to 20), pool5 3x3/1, fc6 as a 3x3 convolution with dilation 6 and
// 1024 channels, fc7 1x1 (source 2), then the extra layers. SSD300 (image_size 300) has six sources
// (38, 19, 10, 5, 3, 1); SSD512 (image_size 512) adds a seventh (64, 32, 16, 8, 4, 2, 1). Other sizes, square or
// not, take the SSD300 layout for a shorter side under 512 and the SSD512 layout from 512 (shorter side at least 300).
// model.width_mult scales every layer's channels (1.0 = the paper's model).
// Module names follow torchvision's SSDFeatureExtractorVGG (features, scale_weight, extra.N), so
// checkpoints map one to one.
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include "ssd/model/backbone.h"
#include "ssd/model/weight_maps.h"

namespace ssd::model {

class Vgg16Backbone : public Backbone {
 public:
  explicit Vgg16Backbone(const BackboneOptions& options);
  std::vector<at::Tensor> forward(const at::Tensor& images) override;
  std::vector<FeatureSpec> output_specs(const config::ImageSize& image_size) const override;
  std::string default_head() const override { return "ssd"; }
  std::string default_priors(const config::ImageSize& image_size) const override;

 private:
  bool ssd512_layout_;
  torch::nn::Sequential features_{nullptr};  ///< conv1_1 .. relu4_3
  at::Tensor scale_weight_;                  ///< L2Norm scale of conv4_3, [512]
  torch::nn::ModuleList extra_{nullptr};     ///< extra[0] = pool4 .. fc7; extra[1..] = SSD extra layers
};

/// torchvision's ImageNet VGG16 files on this backbone: vgg16-397923af.pth (the classifier) and
/// vgg16_features-amdegroot-88682ab5.pth (the features file torchvision's SSD starts from). conv1_1..conv5_3 load by
/// name (conv5_x live in our extra.0, as in torchvision's SSDFeatureExtractorVGG); fc6 and fc7 become SSD's dilated 3x3
/// and 1x1 convolutions by subsampling, as the SSD paper did ("reduced fc"): fc6 [4096, 512*7*7] viewed as
/// [4096, 512, 7, 7] keeps every 4th filter and every 3rd kernel tap -> [1024, 512, 3, 3]; fc7 [4096, 4096] keeps
/// every 4th filter and input -> [1024, 1024, 1, 1]; their biases every 4th value.
ImageNetWeights vgg16_imagenet_weights();

/// torchvision's ssd300_vgg16: the same network, with pool5 .. fc7 nested one level deeper in its extra.0.
TorchvisionDetector vgg16_torchvision_detector();

}  // namespace ssd::model
