#include "ssd/model/mobilenet_v3.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/any.h>

#include <algorithm>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "ssd/kernels/conv2d.h"
#include "ssd/model/mobilenet_v2.h"  // make_divisible
#include "ssd/kernels/relu6.h"
#include "ssd/model/sequential_block.h"
#include "ssd/util/check.h"

namespace ssd::model {

namespace nn = torch::nn;
using kernels::Conv2d;  // torch::nn::Conv2d with fast CPU paths, same weights and names
using kernels::ReLU6;

namespace {

// LibTorch 1.13 has at::hardswish and at::hardsigmoid but no modules for them. Hard-swish has to be a module
// because it is the third layer of torchvision's Conv2dNormActivation (index .2); it holds no tensors, so the
// state dict is unaffected. Out of place: torchvision's inplace=True saves memory, not a different result.
class HardswishImpl : public nn::Module {
 public:
  at::Tensor forward(const at::Tensor& x) { return at::hardswish(x); }
};
TORCH_MODULE(Hardswish);

enum class Activation { kNone, kReLU, kReLU6, kHardswish };

nn::BatchNorm2d batch_norm(int64_t c) { return nn::BatchNorm2d(nn::BatchNorm2dOptions(c).eps(0.001).momentum(0.03)); }

/// Conv -> BN [-> activation], as torchvision's Conv2dNormActivation (names .0, .1, .2; no .2 for kNone).
SequentialBlock conv_bn(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups, Activation act) {
  SequentialBlock block(
      Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups).bias(false)),
      batch_norm(out));
  if (act == Activation::kReLU) block->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
  if (act == Activation::kReLU6) block->push_back(ReLU6());
  if (act == Activation::kHardswish) block->push_back(Hardswish());
  return block;
}

/// Squeeze-and-excitation as torchvision's SqueezeExcitation with MobileNetV3's hard-sigmoid gate. Only fc1 and
/// fc2 hold tensors; the pooling and the two activations are functions here (torchvision's avgpool, activation
/// and scale_activation modules have nothing in the state dict).
class SqueezeExcitationImpl : public nn::Module {
 public:
  SqueezeExcitationImpl(int64_t channels, int64_t squeeze)
      : fc1_(register_module("fc1", Conv2d(nn::Conv2dOptions(channels, squeeze, 1)))),
        fc2_(register_module("fc2", Conv2d(nn::Conv2dOptions(squeeze, channels, 1)))) {}
  at::Tensor forward(const at::Tensor& x) {
    const auto scale = at::hardsigmoid(fc2_->forward(at::relu(fc1_->forward(at::adaptive_avg_pool2d(x, {1, 1})))));
    return scale * x;
  }

 private:
  Conv2d fc1_, fc2_;
};
TORCH_MODULE(SqueezeExcitation);

/// One row of the paper's table 1, channels already scaled by the width.
struct BlockSpec {
  int64_t in, kernel, expanded, out;
  bool se, hardswish;
  int64_t stride;
  bool residual() const { return stride == 1 && in == out; }
};

/// The layers of a block in torchvision's order: [1x1 expansion], depthwise, [squeeze-excitation], 1x1 linear
/// projection. A list rather than a module because the C4 block is split between the two stages.
std::vector<nn::AnyModule> block_layers(const BlockSpec& b) {
  const Activation act = b.hardswish ? Activation::kHardswish : Activation::kReLU;
  std::vector<nn::AnyModule> layers;
  if (b.expanded != b.in) layers.emplace_back(conv_bn(b.in, b.expanded, 1, 1, 1, act));
  layers.emplace_back(conv_bn(b.expanded, b.expanded, b.kernel, b.stride, b.expanded, act));
  // torchvision: _make_divisible(expanded // 4, 8), the quotient truncated first.
  if (b.se) layers.emplace_back(SqueezeExcitation(b.expanded, make_divisible(static_cast<double>(b.expanded / 4))));
  layers.emplace_back(conv_bn(b.expanded, b.out, 1, 1, 1, Activation::kNone));
  return layers;
}

/// MobileNetV3 inverted residual block (torchvision's InvertedResidual: its layers under .block).
class BlockImpl : public nn::Module {
 public:
  explicit BlockImpl(const BlockSpec& b) : use_residual_(b.residual()) {
    block_ = SequentialBlock();
    for (auto& layer : block_layers(b)) block_->push_back(std::move(layer));
    register_module("block", block_);
  }
  at::Tensor forward(const at::Tensor& x) {
    auto y = block_->forward(x);
    return use_residual_ ? x + y : y;
  }

 private:
  bool use_residual_;
  SequentialBlock block_{nullptr};
};
TORCH_MODULE(Block);

/// SSD-Lite extra block: 1x1 to out/2, depthwise 3x3 stride 2, 1x1 to out (torchvision's _extra_block).
SequentialBlock extra_block(int64_t in, int64_t out) {
  const int64_t mid = out / 2;
  return SequentialBlock(conv_bn(in, mid, 1, 1, 1, Activation::kReLU6), conv_bn(mid, mid, 3, 2, mid, Activation::kReLU6),
                         conv_bn(mid, out, 1, 1, 1, Activation::kReLU6));
}

}  // namespace

MobileNetV3LargeBackbone::MobileNetV3LargeBackbone(const BackboneOptions& options, bool reduced_tail)
    : reduced_tail_(reduced_tail) {
  const double w = options.width_mult;
  const int64_t d = reduced_tail ? 2 : 1;
  // Input, kernel, expansion, output, SE, hard-swish, stride: the paper's table 1 (torchvision's
  // _mobilenet_v3_conf), the last three blocks divided by d for the reduced tail.
  const BlockSpec table[] = {
      {16, 3, 16, 16, false, false, 1},          {16, 3, 64, 24, false, false, 2},
      {24, 3, 72, 24, false, false, 1},          {24, 5, 72, 40, true, false, 2},
      {40, 5, 120, 40, true, false, 1},          {40, 5, 120, 40, true, false, 1},
      {40, 3, 240, 80, false, true, 2},          {80, 3, 200, 80, false, true, 1},
      {80, 3, 184, 80, false, true, 1},          {80, 3, 184, 80, false, true, 1},
      {80, 3, 480, 112, true, true, 1},          {112, 3, 672, 112, true, true, 1},
      {112, 5, 672, 160 / d, true, true, 2},     {160 / d, 5, 960 / d, 160 / d, true, true, 1},
      {160 / d, 5, 960 / d, 160 / d, true, true, 1},
  };
  // Every channel count goes through _make_divisible(c * width, 8), as torchvision's adjust_channels.
  std::vector<BlockSpec> blocks;
  for (auto b : table) {
    b.in = make_divisible(b.in * w);
    b.expanded = make_divisible(b.expanded * w);
    b.out = make_divisible(b.out * w);
    blocks.push_back(b);
  }
  // C4 is the last stride-2 block (torchvision's _mobilenet_extractor: stage_indices[-2]). Its expansion output is
  // source 1; splitting the block there only works because it has no residual connection.
  size_t c4 = 0;
  for (size_t i = 0; i < blocks.size(); ++i)
    if (blocks[i].stride == 2) c4 = i;
  SSD_CHECK(!blocks[c4].residual() && blocks[c4].expanded != blocks[c4].in,
            "MobileNetV3: expected the C4 block to have an expansion layer and no residual connection");

  SequentialBlock stage0, stage1;
  stage0->push_back(conv_bn(3, blocks.front().in, 3, 2, 1, Activation::kHardswish));
  for (size_t i = 0; i < c4; ++i) stage0->push_back(Block(blocks[i]));
  auto c4_layers = block_layers(blocks[c4]);
  stage0->push_back(std::move(c4_layers[0]));  // features.0.13: the expansion convolution
  // features.1.0: depthwise, SE, projection under their names in the unsplit block (1, 2, 3). Named pushes only:
  // an unnamed push_back would name the next layer by the count (1 after one layer) and collide.
  SequentialBlock c4_rest;
  for (size_t j = 1; j < c4_layers.size(); ++j) c4_rest->push_back(std::to_string(j), std::move(c4_layers[j]));
  stage1->push_back(c4_rest);
  for (size_t i = c4 + 1; i < blocks.size(); ++i) stage1->push_back(Block(blocks[i]));
  // The last 1x1 convolution: 6 x the last block's channels, not rounded again (torchvision's lastconv).
  const int64_t last = 6 * blocks.back().out;
  stage1->push_back(conv_bn(blocks.back().out, last, 1, 1, 1, Activation::kHardswish));
  features_ = nn::Sequential(stage0, stage1);
  register_module("features", features_);

  // As MobileNetV2 here: the extras scale with the width. torchvision's extractor could too (its width_mult), but
  // its SSD-Lite builder never passes one; at width 1.0 both are 512, 256, 256, 128.
  auto depth = [&](int64_t c) { return std::max<int64_t>(16, static_cast<int64_t>(c * w)); };
  extra_ = nn::ModuleList(extra_block(last, depth(512)), extra_block(depth(512), depth(256)),
                          extra_block(depth(256), depth(256)), extra_block(depth(256), depth(128)));
  register_module("extra", extra_);

  // torchvision's SSD-Lite initialisation without a pretrained backbone (_normal_init over the whole MobileNetV3
  // and the extras): N(0, 0.03) weights, zero biases (the SE convolutions'); batch norm at ones and zeros, LibTorch's
  // own reset. An ImageNet file loaded afterwards overwrites the features.
  for (auto& m : modules(false))
    if (auto* conv = m->as<nn::Conv2dImpl>()) {
      nn::init::normal_(conv->weight, 0.0, 0.03);
      if (conv->bias.defined()) nn::init::zeros_(conv->bias);
    }
}

std::vector<at::Tensor> MobileNetV3LargeBackbone::forward(const at::Tensor& images) {
  std::vector<at::Tensor> out;
  at::Tensor x = images;
  for (auto& stage : *features_) {
    x = stage.forward(x);
    out.push_back(x);
  }
  for (const auto& block : *extra_) {
    x = block->as<SequentialBlockImpl>()->forward(x);
    out.push_back(x);
  }
  return out;
}

std::vector<FeatureSpec> MobileNetV3LargeBackbone::output_specs(const config::ImageSize& image_size) const {
  // Each stage ends at a source layer; squeeze-excitation walks to fc2's channels, its input's, and keeps the side.
  std::vector<FeatureSpec> specs;
  FeatureSpec x{3, image_size.height, image_size.width};
  for (const auto& stage : features_->children()) {
    x = infer_output(*stage, x);
    specs.push_back(x);
  }
  for (const auto& block : *extra_) {
    x = infer_output(*block, x);
    specs.push_back(x);
  }
  return specs;
}

namespace {

// torchvision's classifier numbers MobileNetV3's blocks 0..16 in one Sequential; SSD-Lite splits it inside the C4
// block (13), after its expansion convolution, which is a source feature map:
//   features.0..12 -> backbone.features.0.N      features.13.block.0 -> backbone.features.0.13
//   features.13.block.K (K = 1..3) -> backbone.features.1.0.K      features.14..16 -> backbone.features.1.(N - 13)
WeightRoute imagenet_route(const std::string& name) {
  static const std::regex features(R"(features\.(\d+)\.(.+))"), c4(R"(block\.(\d+)\.(.+))");
  std::smatch m;
  if (!std::regex_match(name, m, features))
    return {"", {}, name.rfind("classifier.", 0) == 0 ? "ImageNet's 1000-class output, not part of SSD" : "not a MobileNetV3 tensor"};
  const int i = std::stoi(m[1]);
  const std::string rest = m[2];
  if (i <= 12) return {"backbone.features.0." + std::to_string(i) + "." + rest, {}, ""};
  if (i == 13) {
    std::smatch b;
    if (!std::regex_match(rest, b, c4)) return {"", {}, "not a MobileNetV3 tensor"};
    if (b[1] == "0") return {"backbone.features.0.13." + b[2].str(), {}, ""};
    return {"backbone.features.1.0." + b[1].str() + "." + b[2].str(), {}, ""};
  }
  if (i <= 16) return {"backbone.features.1." + std::to_string(i - 13) + "." + rest, {}, ""};
  return {"", {}, "not a MobileNetV3 tensor"};
}

}  // namespace

ImageNetWeights mobilenet_v3_large_imagenet_weights(bool reduced_tail) {
  ImageNetWeights w;
  w.route = imagenet_route;
  w.not_in_file = [](const std::string& ours) -> std::string {
    return ours.rfind("backbone.extra.", 0) == 0 ? "an SSD-Lite extra block" : "";
  };
  w.normalisation = [](const std::string& file) -> std::optional<PixelNormalisation> {
    if (file.rfind("mobilenet_v3_large-", 0) == 0) return imagenet_normalisation();
    return std::nullopt;
  };
  if (reduced_tail) w.shape_hint = "; and MobileNetV3's full tail: backbone mobilenet_v3_large_full_tail";
  return w;
}

TorchvisionDetector mobilenet_v3_large_torchvision_detector() {
  TorchvisionDetector d;
  d.head = "ssdlite";
  d.name = "SSDLite-MobileNetV3";
  d.builder = "ssdlite320_mobilenet_v3_large";
  // DefaultBoxGenerator([[2, 3]] * 6, min_ratio=0.2, max_ratio=0.95): the scales preset at s_min 0.2, s_max 0.95.
  d.priors_preset = "scales";
  d.exportable = true;
  d.backbone_name = [](const std::string& ours) { return ours; };
  d.normalisation = [](const std::string& file) -> std::optional<PixelNormalisation> {
    // torchvision's SSD-Lite transform: Normalize(mean=0.5, std=0.5) on 0..1 pixels.
    if (file.rfind("ssdlite320_mobilenet_v3_large", 0) == 0) return PixelNormalisation{{127.5, 127.5, 127.5}, {127.5, 127.5, 127.5}};
    return std::nullopt;
  };
  d.shape_hint = "; its COCO checkpoint has MobileNetV3's reduced tail, backbone mobilenet_v3_large";
  return d;
}

}  // namespace ssd::model
