// torchvision's SSD300-VGG16 both ways (interop/fixtures.h: a checkpoint under its published name with random weights,
// and torchvision's own outputs): its checkpoint loads by name, our forward pass and our ssd-detect path give what
// torchvision gives, fine-tuning to other classes re-initialises the classification convolutions only, and an
// ssd-export file loads into torchvision (strictly) and gives the C++ model's outputs there.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "interop/fixtures.h"
#include "model/test_models.h"
#include "ssd/config/load.h"
#include "ssd/detect/detector.h"
#include "ssd/interop/initial_weights.h"
#include "ssd/interop/state_dict_file.h"
#include "ssd/interop/torchvision_ssd.h"
#include "ssd/util/error.h"
#include "test_support.h"

namespace ssd::interop {
namespace {

class TorchvisionSsd : public test::InteropFiles {
 protected:
  static std::string checkpoint() { return path("ssd300_vgg16_coco-b556d3b4.pth"); }
  static std::string lite_checkpoint() { return path("ssdlite320_mobilenet_v3_large_coco-a79551df.pth"); }
  static std::map<std::string, at::Tensor> outputs(const std::string& file = "ssd300_outputs.pth") {
    std::map<std::string, at::Tensor> out;
    for (auto& [name, tensor] : read_state_dict(path(file))) out[name] = tensor;
    return out;
  }
  static model::Ssd lite_layout(int64_t num_classes) {
    config::ModelConfig c;
    c.backbone = "mobilenet_v3_large";
    c.image_size = 320;
    return model::build_ssd(c, num_classes);
  }
  /// The forward pass on torchvision's preprocessed input gives its head outputs.
  static void expect_torchvision_head_outputs(model::SsdImpl& model, const std::map<std::string, at::Tensor>& ref) {
    model.eval();
    torch::NoGradGuard no_grad;
    const auto out = model.forward(ref.at("input").unsqueeze(0));
    ASSERT_EQ(out.loc.sizes(), ref.at("bbox_regression").unsqueeze(0).sizes());
    ASSERT_EQ(out.conf.sizes(), ref.at("cls_logits").unsqueeze(0).sizes());
    // torchvision ran ATen's contiguous kernels, we run oneDNN's channels-last ones on packed weights: the same sums
    // in another order, which float32 rounding through about 50 layers leaves up to about 1e-4 apart.
    EXPECT_LE(max_difference(out.loc[0], ref.at("bbox_regression")), 2e-4);
    EXPECT_LE(max_difference(out.conf[0], ref.at("cls_logits")), 2e-4);
  }
  /// ssd-detect's code path on the test image (config file + model.init_from) gives torchvision's detections: the
  /// same count, and each of torchvision's found among ours at about its rank (scores a float rounding apart may
  /// swap) with the same label, its score within 1e-5 and its box within 5e-3 px (the head outputs' rounding above,
  /// through exp() and the image's scale).
  static void expect_torchvision_detections(const std::string& config_file, const std::string& weights, const std::string& ref_file) {
    auto c = config::load_config(std::string(SSD_SOURCE_DIR) + "/configs/" + config_file, {"model.init_from=" + weights});
    auto loaded = detect::load_model_from_config(c, c10::Device(c10::kCPU));
    std::vector<size_t> undecodable;
    const auto dets = detect::detect_files(loaded, {path("ssd300_input.png")}, 1, c10::Device(c10::kCPU), &undecodable)[0];
    ASSERT_TRUE(undecodable.empty());
    const auto ref = outputs(ref_file);
    const auto boxes = ref.at("boxes"), scores = ref.at("scores"), labels = ref.at("labels");
    ASSERT_GT(boxes.size(0), 0);
    ASSERT_EQ(static_cast<int64_t>(dets.size()), boxes.size(0));
    std::vector<bool> used(dets.size(), false);
    for (int64_t i = 0; i < boxes.size(0); ++i) {
      bool found = false;
      for (int64_t j = std::max<int64_t>(0, i - 3); j < std::min<int64_t>(boxes.size(0), i + 4) && !found; ++j) {
        const auto& d = dets[static_cast<size_t>(j)];
        const bool same = !used[static_cast<size_t>(j)] && d.label == labels[i].item<int64_t>() &&
                          std::abs(d.score - scores[i].item<float>()) <= 1e-5 && std::abs(d.x1 - boxes[i][0].item<float>()) <= 5e-3 &&
                          std::abs(d.y1 - boxes[i][1].item<float>()) <= 5e-3 && std::abs(d.x2 - boxes[i][2].item<float>()) <= 5e-3 &&
                          std::abs(d.y2 - boxes[i][3].item<float>()) <= 5e-3;
        if (same) used[static_cast<size_t>(j)] = found = true;
      }
      const auto& d = dets[static_cast<size_t>(i)];
      EXPECT_TRUE(found) << "torchvision's detection " << i << " (label " << labels[i].item<int64_t>() << ", score "
                         << scores[i].item<float>() << ", box " << boxes[i] << ") is not among ours; ours at that rank: label " << d.label
                         << ", score " << d.score << ", box " << d.x1 << " " << d.y1 << " " << d.x2 << " " << d.y2;
    }
  }
  static model::Ssd torchvision_layout(int64_t num_classes) {
    config::ModelConfig c;
    c.priors.preset = "torchvision";
    return model::build_ssd(c, num_classes);
  }
  static std::map<std::string, at::Tensor> tensors(model::SsdImpl& m) {
    std::map<std::string, at::Tensor> out;
    for (const auto& p : m.named_parameters()) out[p.key()] = p.value();
    return out;
  }
  static double max_difference(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }
};

TEST_F(TorchvisionSsd, CheckpointLoadsWholeAndTheForwardPassMatchesTorchvision) {
  auto model = torchvision_layout(91);
  const auto report = load_torchvision_ssd(*model, checkpoint());
  EXPECT_EQ(report.loaded.size(), tensors(*model).size()) << report.summary();
  EXPECT_TRUE(report.initialised.empty()) << report.summary();
  EXPECT_TRUE(report.unused.empty()) << report.summary();
  EXPECT_EQ(model->parameter_count(), test::interop_expected()["ssd300_vgg16_parameters"].get<int64_t>());
  expect_torchvision_head_outputs(*model, outputs());
}

TEST_F(TorchvisionSsd, SsdLiteCheckpointLoadsWholeAndTheForwardPassMatchesTorchvision) {
  auto model = lite_layout(91);
  const auto report = load_torchvision_ssd(*model, lite_checkpoint());
  EXPECT_TRUE(report.initialised.empty()) << report.summary();
  EXPECT_TRUE(report.unused.empty()) << report.summary();
  EXPECT_EQ(model->parameter_count(), test::interop_expected()["ssdlite320_parameters"].get<int64_t>());
  expect_torchvision_head_outputs(*model, outputs("ssdlite320_outputs.pth"));
}

TEST_F(TorchvisionSsd, DefaultBoxesAreTorchvisionsTable) {
  // torchvision's DefaultBoxGenerator for ssd300_vgg16: level 0 cell (0, 0) has boxes of scale 0.07 and
  // sqrt(0.07 * 0.15) at centre (4 / 300, 4 / 300); 8732 boxes in all.
  auto model = torchvision_layout(91);
  const auto p = model->priors();
  EXPECT_EQ(p.size(0), 8732);
  EXPECT_NEAR(p[0][0].item<double>(), 4.0 / 300, 1e-7);
  EXPECT_NEAR(p[0][2].item<double>(), 0.07, 1e-7);
  EXPECT_NEAR(p[1][2].item<double>(), std::sqrt(0.07 * 0.15), 1e-7);
}

TEST_F(TorchvisionSsd, DetectGivesTorchvisionsDetections) {
  expect_torchvision_detections("torchvision_ssd300_coco.yaml", checkpoint(), "ssd300_outputs.pth");
}

TEST_F(TorchvisionSsd, SsdLiteDetectGivesTorchvisionsDetections) {
  expect_torchvision_detections("torchvision_ssdlite320_coco.yaml", lite_checkpoint(), "ssdlite320_outputs.pth");
}

TEST_F(TorchvisionSsd, FineTuningToOtherClassesReinitialisesOnlyTheClassificationConvolutions) {
  auto model = torchvision_layout(21);
  const auto before = tensors(*model);
  std::map<std::string, at::Tensor> initial;
  for (const auto& [name, t] : before) initial[name] = t.clone();
  const auto report = load_torchvision_ssd(*model, checkpoint());
  ASSERT_EQ(report.initialised.size(), 12u) << report.summary();  // six levels, weight and bias
  for (const auto& line : report.initialised) {
    EXPECT_NE(line.find("head.conf."), std::string::npos) << line;
    EXPECT_NE(line.find("re-initialised, the file scores 91 classes (with background) and the model 21"), std::string::npos) << line;
  }
  std::map<std::string, at::Tensor> file;
  for (auto& [name, t] : read_state_dict(checkpoint())) file[name] = t;
  for (const auto& [name, t] : tensors(*model)) {
    if (name.rfind("head.conf.", 0) == 0) {
      EXPECT_TRUE(t.equal(initial.at(name))) << name;
    }
  }
  EXPECT_TRUE(tensors(*model).at("head.loc.3.weight").equal(file.at("head.regression_head.module_list.3.weight")));
  EXPECT_TRUE(tensors(*model).at("backbone.extra.0.8.weight").equal(file.at("backbone.extra.0.7.1.weight")));
}

TEST_F(TorchvisionSsd, InitFromReplacesThePretrainedBackboneWhichIsNotRead) {
  config::ModelConfig c;
  c.priors.preset = "torchvision";
  c.pretrained_backbone = path("no-such-imagenet-file.pth");  // reading it would throw
  c.init_from = checkpoint();
  auto model = model::build_ssd(c, 91);
  load_initial_weights(*model, c);
  std::map<std::string, at::Tensor> file;
  for (auto& [name, t] : read_state_dict(checkpoint())) file[name] = t;
  EXPECT_TRUE(tensors(*model).at("backbone.features.0.weight").equal(file.at("backbone.features.0.weight")));
}

TEST_F(TorchvisionSsd, MismatchesAndOtherFilesAreErrorsNamingWhat) {
  config::ModelConfig thin;
  thin.width_mult = 0.5;
  auto model = model::build_ssd(thin, 91);
  const auto message = test::thrown_message<DataError>([&] { load_torchvision_ssd(*model, checkpoint()); });
  EXPECT_NE(message.find("ssd300_vgg16_coco-b556d3b4.pth: tensor 'backbone.scale_weight' is [512] but the model's "
                         "backbone.scale_weight is [256]"),
            std::string::npos)
      << message;
  auto full = torchvision_layout(91);
  EXPECT_NE(test::thrown_message<DataError>([&] { load_torchvision_ssd(*full, path("mobilenet_v2-b0353104.pth")); }).find("holds no tensor of torchvision's SSD-VGG16"),
            std::string::npos);
  EXPECT_NE(test::thrown_message<DataError>([&] { export_torchvision_ssd(*model, path("never.pth")); }).find("paper's layer widths"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path("never.pth")));
  config::ModelConfig lite;
  lite.backbone = "mobilenet_v2";
  lite.image_size = config::ImageSize(320, 256);
  auto other = model::build_ssd(lite, 91);
  EXPECT_NE(test::thrown_message<DataError>([&] { export_torchvision_ssd(*other, path("never.pth")); }).find("builds a square SSD-Lite"),
            std::string::npos);
  config::ModelConfig thin_lite;  // torchvision's SSD-Lite extras have fixed widths
  thin_lite.backbone = "mobilenet_v3_large";
  thin_lite.head = "ssdlite";
  thin_lite.width_mult = 0.5;
  thin_lite.image_size = 320;
  auto thin_v3 = model::build_ssd(thin_lite, 91);
  EXPECT_NE(test::thrown_message<DataError>([&] { export_torchvision_ssd(*thin_v3, path("never.pth")); }).find("model.width_mult other than 1.0"),
            std::string::npos);
  config::ModelConfig full_tail;  // the COCO checkpoint has the reduced tail
  full_tail.backbone = "mobilenet_v3_large_full_tail";
  full_tail.image_size = 320;
  auto wrong_tail = model::build_ssd(full_tail, 91);
  EXPECT_NE(test::thrown_message<DataError>([&] { load_torchvision_ssd(*wrong_tail, lite_checkpoint()); }).find("reduced tail, backbone mobilenet_v3_large"),
            std::string::npos);
}

// Exports `model`, reads the file back by name, and has torchvision take it twice: with a strict load_state_dict into
// its own builder's model, and through the loader script; both give the C++ model's head outputs on one input, the
// script's model its default boxes too (scripts/torchvision_roundtrip.py).
void expect_export_round_trip(model::SsdImpl& model, const config::ModelConfig& model_config, const std::string& dir,
                              bool torchvision_has_a_builder = true) {
  config::Config c;
  c.model = model_config;
  c.data.classes = {"cat", "dog", "bird", "fish"};
  const std::string file = dir + "/export.pth", loader = dir + "/export.py";
  std::filesystem::create_directories(dir);
  export_torchvision_ssd(model, file);
  std::ofstream(loader) << torchvision_loader_script(model, c, file);

  // Our own round trip: the file loads back by name, whole.
  auto again = model::build_ssd(model_config, 5);
  const auto report = load_torchvision_ssd(*again, file);
  EXPECT_TRUE(report.initialised.empty()) << report.summary();
  for (const auto& p : model.named_parameters()) EXPECT_TRUE(p.value().equal(again->named_parameters()[p.key()])) << p.key();

  torch::NoGradGuard no_grad;
  const auto side = model.image_size().width;
  const auto input = at::randn({3, side, side}) * 50;
  const auto out = model.forward(input.unsqueeze(0));
  c10::Dict<std::string, at::Tensor> ours;
  ours.insert("input", input);
  ours.insert("loc", out.loc[0].contiguous());
  ours.insert("conf", out.conf[0].contiguous());
  ours.insert("priors", model.priors().contiguous());
  const auto bytes = torch::jit::pickle_save(c10::IValue(ours));
  std::ofstream(dir + "/ours.pth", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  for (const std::string& extra : {std::string(), loader}) {
    if (extra.empty() && !torchvision_has_a_builder) continue;
    SCOPED_TRACE(extra.empty() ? "torchvision's builder, load_state_dict" : "ssd-export's loader script");
    const std::string log = dir + "/roundtrip.log";
    const std::string command = "/usr/bin/python3 " + std::string(SSD_SOURCE_DIR) + "/scripts/torchvision_roundtrip.py " + file + " " +
                                dir + "/ours.pth " + extra + " > " + log + " 2>&1";
    const int rc = std::system(command.c_str());
    std::ifstream in(log);
    const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(rc, 0) << "torchvision could not take the export or gave other outputs:\n" << said;
    EXPECT_NE(said.find("largest difference of the head outputs"), std::string::npos) << said;
  }
}

TEST_F(TorchvisionSsd, ExportLoadsIntoTorchvisionAndGivesTheSameOutputs) {
  // The paper's default boxes, not torchvision's: the loader script has to carry them over.
  torch::manual_seed(7);
  config::ModelConfig c;
  auto model = model::build_ssd(c, 5);
  model->eval();
  expect_export_round_trip(*model, c, path("export"));
}

TEST_F(TorchvisionSsd, SsdLiteExportLoadsIntoTorchvisionAndGivesTheSameOutputs) {
  // torchvision's ssdlite320_mobilenet_v3_large (reduced tail) with trained-looking batch-norm statistics.
  const auto c = test::ssdlite_config("mobilenet_v3_large", 320);
  auto model = test::model_with_statistics(c, 5, 11);
  expect_export_round_trip(*model, c, path("export_ssdlite"));
}

TEST_F(TorchvisionSsd, SsdLiteMobileNetV2ExportLoadsIntoTheLoaderScriptsModel) {
  // torchvision has no builder for it: the loader script assembles it from torchvision's parts, at the model's width.
  const auto c = test::ssdlite_config("mobilenet_v2", 256, 0.5);
  auto model = test::model_with_statistics(c, 5, 13);
  expect_export_round_trip(*model, c, path("export_ssdlite_v2"), /*torchvision_has_a_builder=*/false);
}

}  // namespace
}  // namespace ssd::interop
