#include "ssd/model/mobilenet_v2.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>

#include "ssd/kernels/conv2d.h"
#include "ssd/kernels/relu6.h"
#include "ssd/model/sequential_block.h"
#include "ssd/util/check.h"

namespace ssd::model {

namespace nn = torch::nn;
using kernels::Conv2d;  // torch::nn::Conv2d with fast CPU paths, same weights and names
using kernels::ReLU6;

int64_t make_divisible(double value, int64_t divisor) {
  int64_t v = std::max<int64_t>(divisor, static_cast<int64_t>(value + divisor / 2.0) / divisor * divisor);
  if (v < 0.9 * value) v += divisor;
  return v;
}

namespace {

nn::BatchNorm2d batch_norm(int64_t c) { return nn::BatchNorm2d(nn::BatchNorm2dOptions(c).eps(0.001).momentum(0.03)); }

/// Conv -> BN -> ReLU6, as torchvision's Conv2dNormActivation (names .0, .1, .2).
SequentialBlock conv_bn_relu6(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t groups = 1) {
  return SequentialBlock(
      Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups).bias(false)),
      batch_norm(out), ReLU6());
}

/// SSD-Lite extra block: 1x1 to out/2, depthwise 3x3 stride 2, 1x1 to out (torchvision's _extra_block).
SequentialBlock extra_block(int64_t in, int64_t out) {
  const int64_t mid = out / 2;
  return SequentialBlock(conv_bn_relu6(in, mid, 1), conv_bn_relu6(mid, mid, 3, 2, mid), conv_bn_relu6(mid, out, 1));
}

}  // namespace

InvertedResidualImpl::InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand_ratio)
    : use_residual_(stride == 1 && in == out), has_expansion_(expand_ratio != 1) {
  const int64_t hidden = in * expand_ratio;
  conv_ = nn::Sequential();
  if (has_expansion_) conv_->push_back(conv_bn_relu6(in, hidden, 1));
  conv_->push_back(conv_bn_relu6(hidden, hidden, 3, stride, hidden));
  conv_->push_back(Conv2d(nn::Conv2dOptions(hidden, out, 1).bias(false)));
  conv_->push_back(batch_norm(out));
  register_module("conv", conv_);
}

at::Tensor InvertedResidualImpl::forward(const at::Tensor& x) {
  auto y = conv_->forward(x);
  return use_residual_ ? x + y : y;
}

std::pair<at::Tensor, at::Tensor> InvertedResidualImpl::forward_with_expansion(const at::Tensor& x) {
  SSD_CHECK(has_expansion_, "forward_with_expansion: expected a block with an expansion layer");
  at::Tensor expanded, y;
  size_t i = 0;
  for (auto& layer : *conv_) {
    y = layer.forward(i == 0 ? x : y);
    if (i++ == 0) expanded = y;
  }
  return {expanded, use_residual_ ? x + y : y};
}

MobileNetV2Backbone::MobileNetV2Backbone(const BackboneOptions& options) {
  const double w = options.width_mult;
  // t (expansion), c (channels), n (repeats), s (stride of the first repeat): the MobileNetV2 paper's table 2.
  const int64_t settings[7][4] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                  {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  features_ = nn::Sequential();
  int64_t in = make_divisible(32 * w);
  features_->push_back(conv_bn_relu6(3, in, 3, 2));
  for (const auto& s : settings) {
    const int64_t out = make_divisible(s[1] * w);
    for (int64_t i = 0; i < s[2]; ++i) {
      const int64_t stride = i == 0 ? s[3] : 1;
      // Source 1 is taken inside the first block that moves from stride 16 to stride 32.
      if (stride == 2 && s[1] == 160) tap_index_ = static_cast<int64_t>(features_->size());
      features_->push_back(InvertedResidual(in, out, stride, s[0]));
      in = out;
    }
  }
  const int64_t last = make_divisible(1280 * std::max(1.0, w));
  features_->push_back(conv_bn_relu6(in, last, 1));
  register_module("features", features_);

  auto depth = [&](int64_t d) { return std::max<int64_t>(16, static_cast<int64_t>(d * w)); };
  extra_ = nn::ModuleList(extra_block(last, depth(512)), extra_block(depth(512), depth(256)),
                          extra_block(depth(256), depth(256)), extra_block(depth(256), depth(128)));
  register_module("extra", extra_);

  // torchvision's initialisation: Kaiming (fan out) for the backbone's convolutions, N(0, 0.03) for the extras.
  for (auto& m : features_->modules(false)) {
    if (auto* c = m->as<nn::Conv2dImpl>()) nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut);
    if (auto* bn = m->as<nn::BatchNorm2dImpl>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
  for (auto& m : extra_->modules(false))
    if (auto* c = m->as<nn::Conv2dImpl>()) nn::init::normal_(c->weight, 0.0, 0.03);
}

std::vector<at::Tensor> MobileNetV2Backbone::forward(const at::Tensor& images) {
  std::vector<at::Tensor> out;
  at::Tensor x = images;
  int64_t i = 0;
  for (auto& layer : *features_) {
    if (i++ == tap_index_) {
      auto [expanded, y] = layer.get<InvertedResidual>()->forward_with_expansion(x);
      out.push_back(expanded);
      x = y;
    } else {
      x = layer.forward(x);
    }
  }
  out.push_back(x);
  for (const auto& block : *extra_) {
    x = block->as<nn::SequentialImpl>()->forward(x);
    out.push_back(x);
  }
  return out;
}

std::vector<FeatureSpec> MobileNetV2Backbone::output_specs(const config::ImageSize& image_size) const {
  std::vector<FeatureSpec> specs;
  FeatureSpec x{3, image_size.height, image_size.width};
  int64_t i = 0;
  for (const auto& layer : features_->children()) {
    if (i++ == tap_index_) {
      // The expansion layer is a 1x1 convolution: same side, its own channel count.
      const auto& expand = *layer->children().front()->children().front();  // conv.0
      specs.push_back(infer_output(expand, x));
    }
    x = infer_output(*layer, x);
  }
  specs.push_back(x);
  for (const auto& block : *extra_) {
    x = infer_output(*block, x);
    specs.push_back(x);
  }
  return specs;
}

ImageNetWeights mobilenet_v2_imagenet_weights() {
  ImageNetWeights w;
  w.route = [](const std::string& name) -> WeightRoute {
    if (name.rfind("features.", 0) == 0) return {"backbone." + name, {}, ""};
    return {"", {}, name.rfind("classifier.", 0) == 0 ? "ImageNet's 1000-class output, not part of SSD" : "not a MobileNetV2 tensor"};
  };
  w.not_in_file = [](const std::string& ours) -> std::string {
    return ours.rfind("backbone.extra.", 0) == 0 ? "an SSD-Lite extra block" : "";
  };
  w.normalisation = [](const std::string& file) -> std::optional<PixelNormalisation> {
    if (file.rfind("mobilenet_v2-", 0) == 0) return imagenet_normalisation();
    return std::nullopt;
  };
  return w;
}

TorchvisionDetector mobilenet_v2_torchvision_detector() {
  TorchvisionDetector d;
  d.head = "ssdlite";
  d.name = "SSD-Lite MobileNetV2";
  d.builder = "SSD of torchvision's parts (mobilenet_v2 features, SSDLiteHead: ssd-export's loader script)";
  d.priors_preset = "scales";
  d.exportable = true;
  d.backbone_name = [](const std::string& ours) { return ours; };
  d.normalisation = [](const std::string&) -> std::optional<PixelNormalisation> { return std::nullopt; };  // no published file
  return d;
}

}  // namespace ssd::model
