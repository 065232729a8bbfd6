// ImageNet backbones from torchvision's files (interop/fixtures.h: random weights under the published names and
// formats): names mapped, fc6 / fc7 subsampled as the SSD paper did, batch-norm statistics loaded, the rest left
// at its initialisation and reported, shape mismatches named, each file's input normalisation adopted.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "interop/fixtures.h"
#include "ssd/interop/file_normalisation.h"
#include "ssd/interop/imagenet_backbone.h"
#include "ssd/interop/state_dict_file.h"
#include "ssd/util/error.h"
#include "test_support.h"

namespace ssd::interop {
namespace {

class ImagenetBackbone : public test::InteropFiles {
 protected:
  static at::Tensor param(model::SsdImpl& m, const std::string& name) {
    for (const auto& p : m.named_parameters())
      if (p.key() == name) return p.value();
    for (const auto& b : m.named_buffers())
      if (b.key() == name) return b.value();
    ADD_FAILURE() << "no " << name;
    return {};
  }
  static bool has_line(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};

TEST_F(ImagenetBackbone, Vgg16ConvolutionsByNameAndReducedFc6Fc7) {
  config::ModelConfig c;  // SSD300-VGG16, the paper's widths
  auto model = model::build_ssd(c, 21);
  const auto file = read_state_dict(path("vgg16-397923af.pth"));
  auto tensor = [&](const std::string& name) {
    for (const auto& [k, v] : file)
      if (k == name) return v;
    throw std::runtime_error(name);
  };
  const auto report = load_imagenet_backbone(*model, path("vgg16-397923af.pth"));
  EXPECT_TRUE(param(*model, "backbone.features.0.weight").equal(tensor("features.0.weight")));
  EXPECT_TRUE(param(*model, "backbone.features.21.bias").equal(tensor("features.21.bias")));
  EXPECT_TRUE(param(*model, "backbone.extra.0.1.weight").equal(tensor("features.24.weight")));  // conv5_1
  EXPECT_TRUE(param(*model, "backbone.extra.0.5.weight").equal(tensor("features.28.weight")));  // conv5_3
  const auto expected = test::interop_expected();
  const auto& fc = expected.at("vgg16_reduced_fc");
  const auto fc6 = param(*model, "backbone.extra.0.8.weight"), fc7 = param(*model, "backbone.extra.0.10.weight");
  EXPECT_EQ(fc6.sizes().vec(), fc.at("fc6_weight_shape").get<std::vector<int64_t>>());
  EXPECT_EQ(fc7.sizes().vec(), fc.at("fc7_weight_shape").get<std::vector<int64_t>>());
  EXPECT_NEAR(fc6.to(at::kDouble).sum().item<double>(), fc.at("fc6_weight_sum").get<double>(), 1e-9);
  EXPECT_NEAR(param(*model, "backbone.extra.0.8.bias").to(at::kDouble).sum().item<double>(), fc.at("fc6_bias_sum").get<double>(), 1e-9);
  EXPECT_NEAR(fc7.to(at::kDouble).sum().item<double>(), fc.at("fc7_weight_sum").get<double>(), 1e-9);
  EXPECT_NEAR(param(*model, "backbone.extra.0.10.bias").to(at::kDouble).sum().item<double>(), fc.at("fc7_bias_sum").get<double>(), 1e-9);
  EXPECT_EQ(report.loaded.size(), 30u);  // 13 convolutions + fc6 + fc7, weight and bias each
  EXPECT_TRUE(has_line(report.unused, "classifier.6.weight: ImageNet's 1000-class output"));
  EXPECT_TRUE(has_line(report.initialised, "backbone.scale_weight: SSD's L2Norm scale"));
  EXPECT_TRUE(has_line(report.initialised, "backbone.extra.1.0.weight: an SSD extra layer"));
  EXPECT_NE(report.summary().find("loaded 30 tensors"), std::string::npos) << report.summary();
}

TEST_F(ImagenetBackbone, FeaturesFileKeepsFc6Fc7AndBringsItsNormalisation) {
  config::ModelConfig c;
  c.pretrained_backbone = path("vgg16_features-amdegroot-88682ab5.pth");
  auto model = model::build_ssd(c, 21);
  const auto before = param(*model, "backbone.extra.0.8.weight").clone();
  const auto report = load_imagenet_backbone(*model, c.pretrained_backbone);
  EXPECT_EQ(report.loaded.size(), 26u);
  EXPECT_TRUE(param(*model, "backbone.extra.0.8.weight").equal(before));  // NaN classifier: fc6 keeps its initialisation
  EXPECT_TRUE(has_line(report.unused, "classifier.0.weight: holds no weights (NaN)"));
  adopt_file_normalisation(c);
  EXPECT_EQ(c.pixel_mean, (std::vector<double>{123.0, 117.0, 104.0}));
  EXPECT_EQ(c.pixel_std, (std::vector<double>{1.0, 1.0, 1.0}));
  config::ModelConfig custom;  // configured by hand: kept, with a warning
  custom.pretrained_backbone = c.pretrained_backbone;
  custom.pixel_mean = {100, 100, 100};
  adopt_file_normalisation(custom);
  EXPECT_EQ(custom.pixel_mean, (std::vector<double>{100, 100, 100}));
}

TEST_F(ImagenetBackbone, MobileNetV2FeaturesWithBatchNormStatistics) {
  config::ModelConfig c;
  c.backbone = "mobilenet_v2";
  c.image_size = 320;
  auto model = model::build_ssd(c, 21);
  const auto file = read_state_dict(path("mobilenet_v2-b0353104.pth"));
  const auto report = load_imagenet_backbone(*model, path("mobilenet_v2-b0353104.pth"));
  for (const auto& [name, value] : file) {
    if (name.rfind("features.", 0) != 0) continue;
    EXPECT_TRUE(param(*model, "backbone." + name).equal(value)) << name;
  }
  EXPECT_TRUE(has_line(report.unused, "classifier.1.weight: ImageNet's 1000-class output"));
  EXPECT_TRUE(has_line(report.initialised, "backbone.extra.0.0.0.weight: an SSD-Lite extra block"));
}

TEST_F(ImagenetBackbone, MobileNetV3FullTailSplitAtTheC4Expansion) {
  config::ModelConfig c;
  c.backbone = "mobilenet_v3_large_full_tail";
  c.image_size = 320;
  auto model = model::build_ssd(c, 21);
  const std::string file = path("mobilenet_v3_large-8738ca79.pth");
  const auto report = load_imagenet_backbone(*model, file);
  size_t features = 0;
  for (const auto& [name, value] : read_state_dict(file)) features += name.rfind("features.", 0) == 0;
  EXPECT_EQ(report.loaded.size(), features);  // every ImageNet feature tensor, batch-norm statistics included
  EXPECT_TRUE(has_line(report.loaded, "backbone.features.0.13.0.weight <- features.13.block.0.0.weight"));
  EXPECT_TRUE(has_line(report.loaded, "backbone.features.1.0.2.fc1.weight <- features.13.block.2.fc1.weight"));
  EXPECT_TRUE(has_line(report.loaded, "backbone.features.1.3.0.weight <- features.16.0.weight"));
  EXPECT_TRUE(has_line(report.unused, "classifier.0.weight: ImageNet's 1000-class output"));
  EXPECT_TRUE(has_line(report.initialised, "backbone.extra.0.0.0.weight: an SSD-Lite extra block"));
  // torchvision's SSD-Lite default, the reduced tail, does not fit ImageNet's full one: the message says which does.
  c.backbone = "mobilenet_v3_large";
  auto reduced = model::build_ssd(c, 21);
  EXPECT_NE(test::thrown_message<DataError>([&] { load_imagenet_backbone(*reduced, file); }).find("backbone mobilenet_v3_large_full_tail"),
            std::string::npos);
}

TEST_F(ImagenetBackbone, AThinnerModelIsAnErrorNamingTheTensorAndBothShapes) {
  config::ModelConfig c;
  c.backbone = "mobilenet_v2";
  c.image_size = 320;
  c.width_mult = 0.5;
  auto model = model::build_ssd(c, 21);
  const auto message = test::thrown_message<DataError>([&] { load_imagenet_backbone(*model, path("mobilenet_v2-b0353104.pth")); });
  EXPECT_NE(message.find("mobilenet_v2-b0353104.pth: tensor 'features.0.0.weight' is [32, 3, 3, 3] but the model's "
                         "backbone.features.0.0.weight is [16, 3, 3, 3]"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace ssd::interop
