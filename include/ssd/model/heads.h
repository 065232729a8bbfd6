#pragma once
// Prediction heads: per source layer, one branch for box deltas and one for class logits.
// Output layout, shared with the priors: level by level, row-major over the map, then anchor by anchor.
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include "ssd/model/feature_spec.h"

namespace ssd::model {

struct HeadOptions {
  std::vector<FeatureSpec> inputs;        ///< the backbone's source layers
  std::vector<int64_t> anchors_per_cell;  ///< default boxes per location, per source
  int64_t num_classes = 21;               ///< including background
};

struct HeadOutput {
  at::Tensor loc;   ///< [B, P, 4] encoded box deltas
  at::Tensor conf;  ///< [B, P, num_classes] class logits
};

class Head : public torch::nn::Module {
 public:
  virtual HeadOutput forward(const std::vector<at::Tensor>& features) = 0;
};

/// SSD head: a 3x3 convolution per source for each branch (Xavier-uniform weights, zero bias, as the paper).
class SsdHead : public Head {
 public:
  explicit SsdHead(const HeadOptions& options);
  HeadOutput forward(const std::vector<at::Tensor>& features) override;

 private:
  int64_t num_classes_;
  torch::nn::ModuleList loc_{nullptr}, conf_{nullptr};
};

/// SSD-Lite head: depthwise 3x3 + BN + ReLU6, then a 1x1 convolution, per source and branch (torchvision).
class SsdLiteHead : public Head {
 public:
  explicit SsdLiteHead(const HeadOptions& options);
  HeadOutput forward(const std::vector<at::Tensor>& features) override;

 private:
  int64_t num_classes_;
  torch::nn::ModuleList loc_{nullptr}, conf_{nullptr};
};

}  // namespace ssd::model
