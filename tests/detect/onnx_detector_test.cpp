// ssd-export --format onnx against the model it came from: OpenCV's DNN module running the exported file gives the
// LibTorch model's raw outputs (the post-processing after them is the same code on both paths). Each export runs
// Debian's python3-torch (torch.onnx.export), as ssd-export does.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <filesystem>

#include "ssd/detect/onnx_detector.h"
#include "ssd/interop/onnx_export.h"
#include "ssd/model/ssd.h"
#include "test_data.h"

namespace ssd::detect {
namespace {

// A model with batch-norm statistics unlike their initial values (an export must carry them).
void expect_same_outputs(const config::ModelConfig& model_config, const std::string& name) {
  torch::manual_seed(3);
  config::Config c;
  c.model = model_config;
  c.data.classes = {"circle", "square", "triangle", "star"};
  auto model = model::build_ssd(c.model, 5);
  torch::NoGradGuard no_grad;
  for (auto& b : model->named_buffers())
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
    else if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0.0, 0.1);
  model->eval();
  const auto dir = test::temp_dir("onnx_" + name);
  const std::string file = dir + "/" + name + ".onnx";
  interop::export_onnx(*model, c, file, "/usr/bin/python3");
  ASSERT_TRUE(std::filesystem::exists(interop::onnx_side_file(file)));
  EXPECT_FALSE(std::filesystem::exists(dir + "/." + name + ".onnx.export")) << "the export's work folder was left";

  OnnxDetector detector(file);
  EXPECT_EQ(detector.classes(), c.data.classes);
  const auto size = model->image_size();
  const auto pixels = at::rand({1, 3, size.height, size.width}) * 255;
  const auto mean = at::tensor(model->pixel_mean(), at::kFloat).view({1, 3, 1, 1});
  const auto spread = at::tensor(model->pixel_std(), at::kFloat).view({1, 3, 1, 1});
  const auto ours = model->forward((pixels - mean) / spread);
  const auto [loc, conf] = detector.forward(pixels);
  ASSERT_EQ(loc.sizes(), ours.loc.sizes());
  ASSERT_EQ(conf.sizes(), ours.conf.sizes());
  const double scale = ours.conf.abs().max().item<double>() + ours.loc.abs().max().item<double>();
  EXPECT_LT((loc - ours.loc).abs().max().item<double>(), 1e-4 * scale);
  EXPECT_LT((conf - ours.conf).abs().max().item<double>(), 1e-4 * scale);
  std::filesystem::remove_all(dir);
}

TEST(OnnxExport, OpenCvDnnRunsTheExportedSsdLiteAsTheCheckpoint) {
  config::ModelConfig c;
  c.backbone = "mobilenet_v3_large";
  c.head = "ssdlite";
  c.image_size = 160;
  c.priors.preset = "scales";
  expect_same_outputs(c, "ssdlite");
}

TEST(OnnxExport, OpenCvDnnRunsTheExportedSsdLiteMobileNetV2AsTheCheckpoint) {
  config::ModelConfig c;
  c.backbone = "mobilenet_v2";
  c.head = "ssdlite";
  c.width_mult = 0.5;
  c.image_size = 256;
  c.priors.preset = "scales";
  expect_same_outputs(c, "ssdlite_v2");
}

TEST(OnnxExport, OpenCvDnnRunsTheExportedSsd300AsTheCheckpoint) {
  expect_same_outputs(config::ModelConfig(), "ssd300");
}

}  // namespace
}  // namespace ssd::detect
