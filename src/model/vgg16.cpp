#include "ssd/model/vgg16.h"

#include <torch/nn/functional/normalization.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/pooling.h>

#include <regex>

#include "ssd/kernels/conv2d.h"
#include "ssd/util/error.h"

namespace ssd::model {

namespace nn = torch::nn;
using kernels::Conv2d;  // torch::nn::Conv2d with fast CPU paths, same weights and names

namespace {

constexpr double kL2NormInitialScale = 20.0;  // the SSD paper's value for conv4_3

Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0, int64_t dilation = 1) {
  return Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).dilation(dilation));
}
nn::ReLU relu() { return nn::ReLU(nn::ReLUOptions().inplace(true)); }

void xavier_init(nn::Module& module) {
  for (auto& m : module.modules(/*include_self=*/true))
    if (auto* c = m->as<nn::Conv2dImpl>()) {
      nn::init::xavier_uniform_(c->weight);
      nn::init::zeros_(c->bias);
    }
}

}  // namespace

Vgg16Backbone::Vgg16Backbone(const BackboneOptions& options) : ssd512_layout_(options.image_size.shorter() >= 512) {
  // The SSD300 layout's last two extra layers shrink their maps by 2 without padding: a shorter side under 300 would
  // leave them empty or change the paper's map sizes beyond recognition.
  if (options.image_size.shorter() < 300)
    throw ConfigError("model.image_size: vgg16 needs a shorter side of at least 300 (SSD300: 300, SSD512: 512), got " +
                      options.image_size.str());
  // width_mult thins every layer (at least 8 channels) and keeps the paper's layout: 1.0 is the paper's model,
  // smaller values make the same detector affordable on a CPU (the demo uses 0.25).
  auto ch = [w = options.width_mult](int64_t c) { return std::max<int64_t>(8, static_cast<int64_t>(std::lround(c * w))); };
  // conv1_1 .. conv4_3: 64 64 M 128 128 M 256 256 256 M(ceil) 512 512 512. pool3 uses ceil mode so that
  // 75 -> 38 at SSD300, as in the original Caffe model.
  features_ = nn::Sequential();
  int64_t in = 3;
  const std::vector<int64_t> plan = {64, 64, -1, 128, 128, -1, 256, 256, 256, -2, 512, 512, 512};
  for (int64_t v : plan) {
    if (v < 0) {
      features_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2).ceil_mode(v == -2)));
    } else {
      features_->push_back(conv(in, ch(v), 3, 1, 1));
      features_->push_back(relu());
      in = ch(v);
    }
  }
  for (auto& m : features_->modules(false))
    if (auto* c = m->as<nn::Conv2dImpl>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
      nn::init::zeros_(c->bias);
    }
  register_module("features", features_);
  scale_weight_ = register_parameter("scale_weight", torch::full({ch(512)}, kL2NormInitialScale));

  // pool4, conv5_1..conv5_3 (VGG init), pool5 3x3/1, fc6 (dilated), fc7 (Xavier, as the extra layers).
  nn::Sequential fc(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(1).padding(1)), conv(ch(512), ch(1024), 3, 1, 6, 6),
                    relu(), conv(ch(1024), ch(1024), 1), relu());
  xavier_init(*fc);
  nn::Sequential stage5(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
  for (int i = 0; i < 3; ++i) {
    auto c = conv(ch(512), ch(512), 3, 1, 1);
    nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    nn::init::zeros_(c->bias);
    stage5->push_back(c);
    stage5->push_back(relu());
  }
  for (const auto& m : *fc) stage5->push_back(m);

  extra_ = nn::ModuleList();
  extra_->push_back(stage5);
  // Extra layers: 1x1 reduction, then a 3x3 that halves the map (SSD300's last two shrink by 2 with no padding).
  auto block = [&](int64_t in_c, int64_t mid, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
    nn::Sequential b(conv(ch(in_c), ch(mid), 1), relu(), conv(ch(mid), ch(out), kernel, stride, padding), relu());
    xavier_init(*b);
    extra_->push_back(b);
  };
  block(1024, 256, 512, 3, 2, 1);
  block(512, 128, 256, 3, 2, 1);
  if (!ssd512_layout_) {
    block(256, 128, 256, 3, 1, 0);
    block(256, 128, 256, 3, 1, 0);
  } else {
    block(256, 128, 256, 3, 2, 1);
    block(256, 128, 256, 3, 2, 1);
    block(256, 128, 256, 4, 1, 1);
  }
  register_module("extra", extra_);
}

std::vector<at::Tensor> Vgg16Backbone::forward(const at::Tensor& images) {
  std::vector<at::Tensor> out;
  auto x = features_->forward(images);
  // L2Norm over channels, then the learned per-channel scale.
  out.push_back(nn::functional::normalize(x, nn::functional::NormalizeFuncOptions().dim(1)) *
                scale_weight_.view({1, -1, 1, 1}));
  for (const auto& block : *extra_) {
    x = block->as<nn::SequentialImpl>()->forward(x);
    out.push_back(x);
  }
  return out;
}

std::vector<FeatureSpec> Vgg16Backbone::output_specs(const config::ImageSize& image_size) const {
  std::vector<FeatureSpec> specs;
  FeatureSpec x = infer_output(*features_, {3, image_size.height, image_size.width});
  specs.push_back(x);
  for (const auto& block : *extra_) {
    x = infer_output(*block, x);
    specs.push_back(x);
  }
  return specs;
}

std::string Vgg16Backbone::default_priors(const config::ImageSize&) const { return ssd512_layout_ ? "ssd512" : "ssd300"; }

namespace {

// fc6 [4096, 25088] -> [1024, 512, 3, 3] and fc7 [4096, 4096] -> [1024, 1024, 1, 1]: every 4th filter, every 3rd
// kernel tap of fc6 (7x7 -> 3x3, which with dilation 6 covers the same field), every 4th input of fc7.
at::Tensor reduce_fc6(const at::Tensor& w) {
  if (w.dim() == 1) return w.slice(0, 0, w.size(0), 4);
  if (w.sizes() != at::IntArrayRef({4096, 25088})) return w;  // the shape check reports it
  return w.view({4096, 512, 7, 7}).slice(0, 0, 4096, 4).slice(2, 0, 7, 3).slice(3, 0, 7, 3);
}
at::Tensor reduce_fc7(const at::Tensor& w) {
  if (w.dim() == 1) return w.slice(0, 0, w.size(0), 4);
  if (w.sizes() != at::IntArrayRef({4096, 4096})) return w;
  return w.view({4096, 4096, 1, 1}).slice(0, 0, 4096, 4).slice(1, 0, 4096, 4);
}

WeightRoute imagenet_route(const std::string& name) {
  static const std::regex features(R"(features\.(\d+)\.(weight|bias))"), classifier(R"(classifier\.(\d+)\.(weight|bias))");
  std::smatch m;
  if (std::regex_match(name, m, features)) {
    const int i = std::stoi(m[1]);
    if (i <= 21) return {"backbone.features." + std::to_string(i) + "." + m[2].str(), {}, ""};
    // conv5_1..conv5_3 follow pool4 in extra.0 (torchvision's SSDFeatureExtractorVGG layout).
    if (i == 24 || i == 26 || i == 28) return {"backbone.extra.0." + std::to_string(i - 23) + "." + m[2].str(), {}, ""};
    return {"", {}, "not a VGG16 convolution"};
  }
  if (std::regex_match(name, m, classifier)) {
    if (m[1] == "0") return {"backbone.extra.0.8." + m[2].str(), reduce_fc6, "fc6 subsampled to the dilated 3x3 convolution"};
    if (m[1] == "3") return {"backbone.extra.0.10." + m[2].str(), reduce_fc7, "fc7 subsampled to the 1x1 convolution"};
    return {"", {}, "ImageNet's 1000-class output, not part of SSD"};
  }
  return {"", {}, "not a VGG16 tensor"};
}

}  // namespace

ImageNetWeights vgg16_imagenet_weights() {
  ImageNetWeights w;
  w.route = imagenet_route;
  w.not_in_file = [](const std::string& ours) -> std::string {
    return ours.rfind("backbone.extra.0.", 0) != 0 && ours.rfind("backbone.extra.", 0) == 0 ? "an SSD extra layer" : "";
  };
  w.normalisation = [](const std::string& file) -> std::optional<PixelNormalisation> {
    // The amdegroot features were trained on 0..255 pixels minus the Caffe VGG mean (123, 117, 104).
    if (file.find("amdegroot") != std::string::npos || file.rfind("vgg16_features", 0) == 0)
      return PixelNormalisation{{123.0, 117.0, 104.0}, {1.0, 1.0, 1.0}};
    if (file.rfind("vgg16-", 0) == 0) return imagenet_normalisation();
    return std::nullopt;
  };
  return w;
}

TorchvisionDetector vgg16_torchvision_detector() {
  TorchvisionDetector d;
  d.head = "ssd";
  d.name = "SSD-VGG16";
  d.builder = "ssd300_vgg16";
  d.priors_preset = "torchvision";
  d.priors_image_size = 300;  // torchvision has no SSD512 table
  d.exportable = true;
  d.backbone_name = [](const std::string& ours) {
    // torchvision nests pool5, fc6, relu, fc7, relu in a Sequential at position 7 of extra.0; ours continues the list.
    static const std::regex stage5(R"(backbone\.extra\.0\.(\d+)\.(.+))");
    std::smatch m;
    if (std::regex_match(ours, m, stage5) && std::stoi(m[1]) >= 7)
      return "backbone.extra.0.7." + std::to_string(std::stoi(m[1]) - 7) + "." + m[2].str();
    return ours;
  };
  d.normalisation = [](const std::string& file) -> std::optional<PixelNormalisation> {
    // torchvision's SSD300 transform: Normalize(mean=(0.48235, 0.45882, 0.40784), std=1/255) on 0..1 pixels.
    if (file.rfind("ssd300_vgg16", 0) == 0) return PixelNormalisation{{0.48235 * 255, 0.45882 * 255, 0.40784 * 255}, {1.0, 1.0, 1.0}};
    return std::nullopt;
  };
  return d;
}

}  // namespace ssd::model
