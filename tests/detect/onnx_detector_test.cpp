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
#include "model/test_models.h"
#include "test_data.h"

namespace ssd::detect {
namespace {

// The exported file on OpenCV's DNN against the model it came from, on one input of random pixels.
void expect_same_outputs(const config::ModelConfig& model_config, const std::string& name) {
  config::Config c;
  c.model = model_config;
  c.data.classes = {"circle", "square", "triangle", "star"};
  auto model = test::model_with_statistics(c.model, 5, 3);
  torch::NoGradGuard no_grad;
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
  expect_same_outputs(test::ssdlite_config("mobilenet_v3_large", 160), "ssdlite");
}

TEST(OnnxExport, OpenCvDnnRunsTheExportedSsdLiteMobileNetV2AsTheCheckpoint) {
  expect_same_outputs(test::ssdlite_config("mobilenet_v2", 256, 0.5), "ssdlite_v2");
}

TEST(OnnxExport, OpenCvDnnRunsTheExportedSsd300AsTheCheckpoint) {
  expect_same_outputs(config::ModelConfig(), "ssd300");
}

}  // namespace
}  // namespace ssd::detect
