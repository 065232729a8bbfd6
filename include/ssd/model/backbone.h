#pragma once
// Backbone interface: image batch -> feature maps for the heads, plus what it knows about them.
// A new backbone is one file implementing this, plus one row in src/model/registry.cpp.
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "ssd/config/config.h"
#include "ssd/model/feature_spec.h"

namespace ssd::model {

/// Options every backbone factory receives (mapped from model.* in build_ssd).
struct BackboneOptions {
  config::ImageSize image_size;  ///< input width and height in pixels
  double width_mult = 1.0;   ///< channel multiplier, where the backbone has one
};

class Backbone : public torch::nn::Module {
 public:
  /// images [B, 3, H, W] (normalised RGB) -> one tensor [B, C_k, H_k, W_k] per source layer.
  virtual std::vector<at::Tensor> forward(const at::Tensor& images) = 0;
  /// The source layers for an input of image_size, derived from the layers themselves.
  virtual std::vector<FeatureSpec> output_specs(const config::ImageSize& image_size) const = 0;
  /// The head this backbone is used with when model.head is auto.
  virtual std::string default_head() const = 0;
  /// The default-box preset for model.priors.preset auto: "ssd300", "ssd512" or "scales".
  virtual std::string default_priors(const config::ImageSize& image_size) const = 0;
};

}  // namespace ssd::model
