// SSD-Lite with MobileNetV3-Large against torchvision's ssdlite320_mobilenet_v3_large: parameter counts, tensor names
// and shapes, feature maps and default boxes. Reference: tests/golden/ssdlite320_mobilenet_v3_large.json, written by
// scripts/make_goldens.py from torchvision itself (the reduced tail from the builder with weights=None,
// weights_backbone=None; the full tail from the builder's parts as it assembles them with weights_backbone=IMAGENET1K_V1).
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ssd/model/mobilenet_v3.h"
#include "ssd/model/ssd.h"
#include "model/feature_maps.h"
#include "test_support.h"

namespace ssd::model {
namespace {

const char* const kReduced = "mobilenet_v3_large";
const char* const kFull = "mobilenet_v3_large_full_tail";

config::ModelConfig mnv3(const std::string& backbone, int64_t size = 320, double width = 1.0) {
  config::ModelConfig c;
  c.backbone = backbone;
  c.image_size = size;
  c.width_mult = width;
  return c;
}

std::string tail_of(const std::string& backbone) { return backbone == kReduced ? "reduced" : "full"; }

using test::channels_of;
using test::sizes_of;

TEST(SsdLiteMobileNetV3, ParameterCountMatchesTorchvision) {
  const auto golden = test::golden("ssdlite320_mobilenet_v3_large.json");  // .at(): a missing key fails naming it
  for (const std::string backbone : {kReduced, kFull})
    for (const int64_t classes : {21, 91}) {
      SCOPED_TRACE(backbone + ", " + std::to_string(classes) + " classes");
      EXPECT_EQ(build_ssd(mnv3(backbone), classes)->parameter_count(),
                golden.at("parameters_" + tail_of(backbone) + "_" + std::to_string(classes)).get<int64_t>());
    }
  // The published COCO checkpoint (its meta num_params) is the reduced tail with 91 classes. 3,440,060 printed by
  // /usr/bin/python3 -c "from torchvision.models.detection import ssdlite320_mobilenet_v3_large as f;
  //   print(sum(p.numel() for p in f(weights=None, weights_backbone=None, num_classes=91).parameters()))"
  EXPECT_EQ(golden.at("coco_v1_num_params").get<int64_t>(), golden.at("parameters_reduced_91").get<int64_t>());
  EXPECT_EQ(build_ssd(mnv3(kReduced), 91)->parameter_count(), 3440060);
}

// Every tensor of torchvision's backbone (parameters and batch-norm buffers) under the same name with the same shape,
// and nothing else: a torchvision state dict loads into ours by name, below backbone., without a mapping.
TEST(SsdLiteMobileNetV3, BackboneTensorNamesAndShapesAreTorchvisions) {
  const auto golden = test::golden("ssdlite320_mobilenet_v3_large.json");
  for (const std::string backbone : {kReduced, kFull}) {
    SCOPED_TRACE(backbone);
    auto model = build_ssd(mnv3(backbone), 91);
    std::map<std::string, std::vector<int64_t>> ours;
    for (const auto& p : model->named_parameters())
      if (p.key().rfind("backbone.", 0) == 0) ours[p.key()] = p.value().sizes().vec();
    for (const auto& b : model->named_buffers())
      if (b.key().rfind("backbone.", 0) == 0) ours[b.key()] = b.value().sizes().vec();
    const auto theirs = golden.at("backbone_state_dict_" + tail_of(backbone)).get<std::map<std::string, std::vector<int64_t>>>();
    for (const auto& [name, shape] : theirs) {
      const auto it = ours.find(name);
      if (it == ours.end()) ADD_FAILURE() << "missing " << name;
      else EXPECT_EQ(it->second, shape) << name;
    }
    for (const auto& [name, shape] : ours)
      if (!theirs.count(name)) ADD_FAILURE() << "not in torchvision's backbone: " << name;
  }
}

TEST(SsdLiteMobileNetV3, FeatureMapsAndDefaultBoxes) {
  const auto golden = test::golden("ssdlite320_mobilenet_v3_large.json");
  for (const std::string backbone : {kReduced, kFull}) {
    SCOPED_TRACE(backbone);
    auto model = build_ssd(mnv3(backbone), 21);
    EXPECT_EQ(model->head_name, "ssdlite");
    std::vector<int64_t> channels, sizes;
    for (const auto& m : golden.at("maps_" + tail_of(backbone))) {
      channels.push_back(m[0].get<int64_t>());
      sizes.push_back(m[1].get<int64_t>());
    }
    EXPECT_EQ(channels_of(model->feature_specs()), channels);
    EXPECT_EQ(sizes_of(model->feature_specs()), sizes);
    // torchvision's DefaultBoxGenerator([[2, 3]] * 6, min_ratio=0.2, max_ratio=0.95), box for box.
    const auto priors = model->priors();
    ASSERT_EQ(priors.size(0), golden.at("default_boxes").get<int64_t>());
    const auto expected = at::tensor(golden.at("priors_cxcywh").get<std::vector<float>>()).view({-1, 4});
    EXPECT_LT((priors - expected).abs().max().item<float>(), 2e-6);
  }
  // As printed by the golden script: [672, 480, 512, 256, 256, 128] reduced, 960 for the second map with the full tail.
  auto reduced = build_ssd(mnv3(kReduced), 21);
  EXPECT_EQ(sizes_of(reduced->feature_specs()), (std::vector<int64_t>{20, 10, 5, 3, 2, 1}));
  EXPECT_EQ(channels_of(reduced->feature_specs()), (std::vector<int64_t>{672, 480, 512, 256, 256, 128}));
  EXPECT_EQ(reduced->priors().size(0), 3234);  // 6 * (20^2 + 10^2 + 5^2 + 3^2 + 2^2 + 1)
}

// The maps the backbone computes are the ones output_specs derives from its layers (squeeze-excitation, the split
// C4 block and the residual blocks included), and the head's outputs cover every default box.
TEST(SsdLiteMobileNetV3, ForwardShapesAgreeWithSpecs) {
  for (const bool reduced_tail : {true, false}) {
    SCOPED_TRACE(reduced_tail ? "reduced tail" : "full tail");
    auto backbone = std::make_shared<MobileNetV3LargeBackbone>(BackboneOptions{320, 1.0}, reduced_tail);
    backbone->eval();
    torch::NoGradGuard no_grad;
    const auto maps = backbone->forward(at::randn({2, 3, 320, 320}));
    const auto specs = backbone->output_specs(320);
    ASSERT_EQ(maps.size(), specs.size());
    for (size_t k = 0; k < maps.size(); ++k) {
      EXPECT_EQ(maps[k].sizes(), (std::vector<int64_t>{2, specs[k].channels, specs[k].height, specs[k].width})) << "map " << k;
      EXPECT_TRUE(at::isfinite(maps[k]).all().item<bool>()) << "map " << k;
    }
  }
  auto model = build_ssd(mnv3(kReduced), 91);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto out = model->forward(at::randn({1, 3, 320, 320}));
  EXPECT_EQ(out.loc.sizes(), (std::vector<int64_t>{1, 3234, 4}));
  EXPECT_EQ(out.conf.sizes(), (std::vector<int64_t>{1, 3234, 91}));
}

// Other widths: torchvision's SSD-Lite builder cannot take one, so the reference is its MobileNetV3 features at that
// width (backbone.features.* here); the extra blocks scale with the width as MobileNetV2's do in this project.
TEST(SsdLiteMobileNetV3, WidthScalesLikeTorchvisionsMobileNetV3) {
  const auto golden = test::golden("ssdlite320_mobilenet_v3_large.json");
  for (const bool reduced_tail : {true, false})
    for (const char* width : {"0.5", "0.75"}) {
      SCOPED_TRACE(std::string(reduced_tail ? "reduced" : "full") + " tail, width " + width);
      auto backbone = std::make_shared<MobileNetV3LargeBackbone>(BackboneOptions{160, std::stod(width)}, reduced_tail);
      int64_t features = 0;
      for (const auto& p : backbone->named_parameters())
        if (p.key().rfind("features.", 0) == 0) features += p.value().numel();
      EXPECT_EQ(features, golden.at(std::string("features_parameters_") + (reduced_tail ? "reduced" : "full") + "_w" + width).get<int64_t>());
    }
  auto narrow = build_ssd(mnv3(kReduced, 160, 0.5), 21);
  EXPECT_LT(narrow->parameter_count(), build_ssd(mnv3(kReduced), 21)->parameter_count());
  EXPECT_EQ(sizes_of(narrow->feature_specs()), (std::vector<int64_t>{10, 5, 3, 2, 1, 1}));
  // C4 expansion 672 * 0.5 = 336, last convolution 6 * make_divisible(80 * 0.5) = 240, extras 512..128 * 0.5.
  EXPECT_EQ(channels_of(narrow->feature_specs()), (std::vector<int64_t>{336, 240, 256, 128, 128, 64}));
  narrow->eval();
  torch::NoGradGuard no_grad;
  const auto out = narrow->forward(at::randn({2, 3, 160, 160}));
  EXPECT_EQ(out.conf.sizes(), (std::vector<int64_t>{2, narrow->priors().size(0), 21}));
}

}  // namespace
}  // namespace ssd::model
