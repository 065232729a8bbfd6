#include <gtest/gtest.h>

#include <torch/torch.h>

#include "ssd/config/load.h"
#include "ssd/model/registry.h"
#include "ssd/model/ssd.h"
#include "ssd/util/error.h"
#include "model/feature_maps.h"
#include "test_support.h"

namespace ssd::model {
namespace {

config::ModelConfig vgg(config::ImageSize size) {
  config::ModelConfig c;
  c.backbone = "vgg16";
  c.image_size = size;
  return c;
}

using test::channels_of;
using test::sizes_of;

TEST(Ssd300Vgg16, ParameterCountMatchesTorchvision) {
  auto model = build_ssd(vgg(300), 21);
  // 26,285,486 = VGG16 conv 14,714,688 + L2Norm 512 + fc6 4,719,616 + fc7 1,049,600 + extras 2,459,520
  //            + heads 3,341,550; the same as torchvision's ssd300_vgg16(num_classes=21) (golden).
  EXPECT_EQ(model->parameter_count(), test::golden("ssd300_vgg16.json")["parameters"].get<int64_t>());
  EXPECT_EQ(model->parameter_count(), 26285486);
}

TEST(Ssd300Vgg16, FeatureMapsAndDefaultBoxes) {
  auto model = build_ssd(vgg(300), 21);
  EXPECT_EQ(sizes_of(model->feature_specs()), (std::vector<int64_t>{38, 19, 10, 5, 3, 1}));
  EXPECT_EQ(channels_of(model->feature_specs()), (std::vector<int64_t>{512, 1024, 512, 256, 256, 256}));
  EXPECT_EQ(model->priors().size(0), 8732);  // 38^2*4 + 19^2*6 + 10^2*6 + 5^2*6 + 3^2*4 + 1*4
}

TEST(Ssd300Vgg16, HeadOutputShapesAndFeatureShapesAgree) {
  auto model = build_ssd(vgg(300), 21);
  torch::NoGradGuard no_grad;
  model->eval();
  const auto out = model->forward(torch::randn({1, 3, 300, 300}));
  EXPECT_EQ(out.loc.sizes(), (std::vector<int64_t>{1, 8732, 4}));
  EXPECT_EQ(out.conf.sizes(), (std::vector<int64_t>{1, 8732, 21}));
  EXPECT_TRUE(torch::isfinite(out.conf).all().item<bool>());
}

TEST(Ssd512Vgg16, ParameterCountShapesAndDefaultBoxes) {
  auto model = build_ssd(vgg(512), 21);
  EXPECT_EQ(model->parameter_count(), test::golden("ssd512_vgg16.json")["parameters"].get<int64_t>());
  EXPECT_EQ(sizes_of(model->feature_specs()), (std::vector<int64_t>{64, 32, 16, 8, 4, 2, 1}));
  EXPECT_EQ(model->priors().size(0), 24564);  // 64^2*4 + 32^2*6 + 16^2*6 + 8^2*6 + 4^2*6 + 2^2*4 + 1*4
  torch::NoGradGuard no_grad;
  model->eval();
  const auto out = model->forward(torch::randn({1, 3, 512, 512}));
  EXPECT_EQ(out.loc.sizes(), (std::vector<int64_t>{1, 24564, 4}));
  EXPECT_EQ(out.conf.sizes(), (std::vector<int64_t>{1, 24564, 21}));
}

TEST(SsdLiteMobileNetV2, MapsShapesAndWidth) {
  config::ModelConfig c;
  c.backbone = "mobilenet_v2";
  c.image_size = 320;
  auto model = build_ssd(c, 21);
  EXPECT_EQ(model->head_name, "ssdlite");
  EXPECT_EQ(sizes_of(model->feature_specs()), (std::vector<int64_t>{20, 10, 5, 3, 2, 1}));
  EXPECT_EQ(channels_of(model->feature_specs()), (std::vector<int64_t>{576, 1280, 512, 256, 256, 128}));
  const int64_t full = model->parameter_count();

  c.width_mult = 0.5;
  c.image_size = 160;
  auto narrow = build_ssd(c, 21);
  EXPECT_LT(narrow->parameter_count(), full);
  EXPECT_EQ(channels_of(narrow->feature_specs()), (std::vector<int64_t>{288, 1280, 256, 128, 128, 64}));
  narrow->eval();
  torch::NoGradGuard no_grad;
  const auto out = narrow->forward(torch::randn({2, 3, 160, 160}));
  EXPECT_EQ(out.loc.size(1), narrow->priors().size(0));
  EXPECT_EQ(out.conf.sizes(), (std::vector<int64_t>{2, narrow->priors().size(0), 21}));
}

// torchvision has no SSD-Lite MobileNetV2; bench/ssdlite_mobilenet_v2.py builds the same network from its parts
// (tests/golden/ssdlite_mobilenet_v2.json, by scripts/make_goldens.py): the same parameters and default boxes at
// several widths, sizes and class counts.
TEST(SsdLiteMobileNetV2, ParameterCountAndDefaultBoxesMatchTorchvisionParts) {
  const auto golden = test::golden("ssdlite_mobilenet_v2.json");
  ASSERT_EQ(golden["cases"].size(), 3u);
  for (const auto& g : golden["cases"]) {
    config::ModelConfig c;
    c.backbone = "mobilenet_v2";
    c.image_size = g["image_size"].get<int64_t>();
    c.width_mult = g["width_mult"];
    auto model = build_ssd(c, g["num_classes"].get<int64_t>());
    EXPECT_EQ(model->parameter_count(), g["parameters"].get<int64_t>()) << g.dump();
    EXPECT_EQ(model->priors().size(0), g["default_boxes"].get<int64_t>()) << g.dump();
  }
}

TEST(BuildSsd, ConfigErrorsNameTheKey) {
  config::ModelConfig c = vgg(300);
  c.backbone = "vgg61";
  EXPECT_EQ(test::thrown_message<ConfigError>([&] { build_ssd(c, 21); }),
            "model.backbone: unknown backbone 'vgg61' (did you mean 'vgg16'?); available: vgg16, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_large_full_tail");
  c = vgg(config::ImageSize(400, 256));
  EXPECT_EQ(test::thrown_message<ConfigError>([&] { build_ssd(c, 21); }),
            "model.image_size: vgg16 needs a shorter side of at least 300 (SSD300: 300, SSD512: 512), got 400x256");
  c = vgg(300);
  c.priors.min_sizes = {30, 60, 111};
  EXPECT_EQ(test::thrown_message<ConfigError>([&] { build_ssd(c, 21); }),
            "model.priors.min_sizes: has 3 entries, expected 6, one per feature map of the backbone at image_size 300");
  c = vgg(512);
  c.priors.preset = "ssd300";
  EXPECT_EQ(test::thrown_message<ConfigError>([&] { build_ssd(c, 21); }),
            "model.priors.min_sizes: has 6 entries (from preset ssd300), expected 7, one per feature map of the "
            "backbone at image_size 512");
}

// Non-square inputs, every backbone: the maps the network computes are the ones output_specs derives per axis, the
// head covers every default box, and VGG takes the SSD300 or SSD512 layout by the shorter side.
TEST(BuildSsd, NonSquareInputsForEveryBackbone) {
  struct Case { std::string backbone; config::ImageSize size; double width; std::vector<std::pair<int64_t, int64_t>> maps; };
  const std::vector<Case> cases = {
      {"vgg16", {960, 544}, 0.05, {{68, 120}, {34, 60}, {17, 30}, {9, 15}, {5, 8}, {3, 4}, {2, 3}}},
      {"vgg16", {533, 300}, 0.05, {{38, 67}, {19, 33}, {10, 17}, {5, 9}, {3, 7}, {1, 5}}},
      {"mobilenet_v2", {160, 96}, 0.25, {}},
      {"mobilenet_v3_large", {320, 192}, 0.25, {}}};
  for (const auto& k : cases) {
    SCOPED_TRACE(k.backbone + " at " + k.size.str());
    config::ModelConfig c;
    c.backbone = k.backbone, c.image_size = k.size, c.width_mult = k.width;
    auto model = build_ssd(c, 4);
    model->eval();
    torch::NoGradGuard no_grad;
    const auto& specs = model->feature_specs();
    if (!k.maps.empty()) {
      ASSERT_EQ(specs.size(), k.maps.size());
      for (size_t l = 0; l < specs.size(); ++l) EXPECT_EQ(std::make_pair(specs[l].height, specs[l].width), k.maps[l]) << "map " << l;
    }
    const auto images = torch::randn({2, 3, k.size.height, k.size.width});
    auto backbone = backbone_registry().get(k.backbone).factory(BackboneOptions{k.size, k.width});
    backbone->eval();
    const auto maps = backbone->forward(images);
    ASSERT_EQ(maps.size(), specs.size());
    int64_t priors = 0;
    for (size_t l = 0; l < maps.size(); ++l) {
      EXPECT_EQ(maps[l].sizes(), (std::vector<int64_t>{2, specs[l].channels, specs[l].height, specs[l].width})) << "map " << l;
      priors += specs[l].cells() * model->prior_table().anchors_per_cell(l);
    }
    EXPECT_EQ(model->priors().size(0), priors);
    const auto out = model->forward(images);
    EXPECT_EQ(out.conf.sizes(), (std::vector<int64_t>{2, priors, 4}));
    EXPECT_ANY_THROW(model->forward(torch::randn({1, 3, k.size.width, k.size.height})));  // width and height swapped
    EXPECT_NE(model->summary().find("model: SSD" + k.size.str() + " "), std::string::npos);
  }
}

TEST(BuildSsd, SummaryHasTheParsedLines) {
  const auto summary = build_ssd(vgg(300), 21)->summary();
  EXPECT_NE(summary.find("\nparameters: 26285486\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\ndefault boxes: 8732\n"), std::string::npos) << summary;
}

// SSD-Lite's batch norm sees one value per channel on its 1x1 map at batch 1, which LibTorch refuses in training mode;
// the trainer turns that into a ConfigError before any data is read.
TEST(BuildSsd, BatchNormOnAOneByOneMapNeedsTwoImagesPerBatch) {
  EXPECT_EQ(smallest_training_batch(*build_ssd(vgg(300), 21)), 1);
  config::ModelConfig c;
  c.backbone = "mobilenet_v2";
  c.width_mult = 0.25;
  c.image_size = 160;
  auto lite = build_ssd(c, 3);
  ASSERT_EQ(lite->feature_specs().back().cells(), 1);
  EXPECT_EQ(smallest_training_batch(*lite), 2);
  lite->train();
  EXPECT_ANY_THROW(lite->forward(torch::randn({1, 3, 160, 160})));
  EXPECT_NO_THROW(lite->forward(torch::randn({2, 3, 160, 160})));
  EXPECT_EQ(test::thrown_message<ConfigError>([&] { require_training_batch(*lite, 1); }),
            "train.batch_size: 1 is too small to train mobilenet_v2 at model.image_size 160: batch normalisation on its "
            "1x1 feature map needs at least 2 images per batch");
  EXPECT_NO_THROW(require_training_batch(*lite, 2));
}

// channels_last changes where each value lives, not what the network computes: the same outputs for VGG (with
// L2Norm) and MobileNetV3 (depthwise, squeeze-and-excitation), and the parameters stay the objects an optimizer holds.
TEST(MemoryFormat, ChannelsLastComputesTheSameOutputs) {
  config::ModelConfig lite;
  lite.backbone = "mobilenet_v3_large";
  lite.width_mult = 0.5;
  lite.image_size = 160;
  for (const auto& mc : {vgg(300), lite}) {
    torch::manual_seed(2);
    auto model = build_ssd(mc, 5);
    model->eval();
    torch::NoGradGuard no_grad;
    const auto x = torch::randn({2, 3, mc.image_size.height, mc.image_size.width});
    const auto before = model->forward(x);
    std::vector<const void*> impls;
    for (const auto& p : model->parameters()) impls.push_back(p.unsafeGetTensorImpl());
    model->set_memory_format(at::MemoryFormat::ChannelsLast);
    EXPECT_EQ(model->memory_format(), at::MemoryFormat::ChannelsLast);
    size_t i = 0, four_d = 0;
    for (const auto& p : model->parameters()) {
      EXPECT_EQ(p.unsafeGetTensorImpl(), impls[i++]);
      if (p.dim() != 4) continue;
      EXPECT_TRUE(p.is_contiguous(at::MemoryFormat::ChannelsLast));
      ++four_d;
    }
    EXPECT_GT(four_d, 10u);
    const auto after = model->forward(x);  // a contiguous input is laid out by forward
    EXPECT_TRUE(before.loc.allclose(after.loc, 1e-4, 1e-4)) << mc.backbone;
    EXPECT_TRUE(before.conf.allclose(after.conf, 1e-4, 1e-4)) << mc.backbone;
  }
}

}  // namespace
}  // namespace ssd::model
