#pragma once
// MobileNetV3-Large (Howard et al. 2019) as an SSD-Lite backbone: torchvision's ssdlite320_mobilenet_v3_large.
// Sources (the paper's section 6.3): the expansion output of the C4 block, the last stride-2 block (stride 16,
// 672 x width channels), and the last 1x1 convolution (stride 32, 6 x the last block's channels: 480 with the
// reduced tail, 960 without), then four extra blocks (1x1 reduce, depthwise 3x3 stride 2, 1x1 expand; 512, 256,
// 256, 128 x width). At 320 px the maps are 20, 10, 5, 3, 2, 1.
//
// Reduced tail (the paper's table 6): the C4 block and the two after it have half the output and expansion
// channels (80 / 480 instead of 160 / 960). torchvision builds it whenever no ImageNet backbone is loaded
// (reduce_tail = weights_backbone is None), so its from-scratch model and its published COCO checkpoint
// (ssdlite320_mobilenet_v3_large_coco-a79551df.pth, 3,440,060 parameters) have it; the ImageNet classifier
// (mobilenet_v3_large-8738ca79.pth) has the full tail.
//
// Names reproduce torchvision's state dict below backbone.: features.0 runs from the stem to the C4 block's
// expansion convolution (features.0.13), features.1 holds the rest of the C4 block (features.1.0.{1,2,3}, numbered
// as in the unsplit block, because torchvision slices a Sequential and slices keep their keys), the blocks after it
// (features.1.{1,2}.block.M) and the last convolution (features.1.3); extra.0..3 as in MobileNetV2. Batch norm uses
// eps 0.001 and momentum 0.03 as torchvision's SSD-Lite does.
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include "ssd/model/backbone.h"
#include "ssd/model/weight_maps.h"

namespace ssd::model {

class MobileNetV3LargeBackbone : public Backbone {
 public:
  /// reduced_tail: see above; true is torchvision's model when it is trained from scratch or loaded from COCO.
  explicit MobileNetV3LargeBackbone(const BackboneOptions& options, bool reduced_tail = true);
  std::vector<at::Tensor> forward(const at::Tensor& images) override;
  std::vector<FeatureSpec> output_specs(const config::ImageSize& image_size) const override;
  std::string default_head() const override { return "ssdlite"; }
  /// torchvision's DefaultBoxGenerator([[2, 3]] * 6, min_ratio=0.2, max_ratio=0.95): the scales preset at its
  /// default s_min 0.2, s_max 0.95.
  std::string default_priors(const config::ImageSize&) const override { return "scales"; }
  bool reduced_tail() const { return reduced_tail_; }

 private:
  bool reduced_tail_;
  torch::nn::Sequential features_{nullptr};  ///< two stages, each ending at a source layer
  torch::nn::ModuleList extra_{nullptr};
};

/// torchvision's ImageNet MobileNetV3-Large files (mobilenet_v3_large-8738ca79.pth, -5c1a4163.pth): features.*
/// renumbered where SSD-Lite splits the C4 block; they fit the full tail only (backbone mobilenet_v3_large_full_tail,
/// which a reduced-tail model's shape error says).
ImageNetWeights mobilenet_v3_large_imagenet_weights(bool reduced_tail);

/// torchvision's ssdlite320_mobilenet_v3_large, whose names below backbone. are ours.
TorchvisionDetector mobilenet_v3_large_torchvision_detector();

}  // namespace ssd::model
