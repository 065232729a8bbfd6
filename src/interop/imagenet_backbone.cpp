#include "ssd/interop/imagenet_backbone.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "ssd/interop/file_normalisation.h"
#include "ssd/interop/state_dict_file.h"
#include "ssd/util/error.h"

namespace ssd::interop {

namespace {

// Where one tensor of the file goes: our name and how it is converted, or why it is not used.
struct Route {
  std::string target;                                  ///< empty: unused
  std::function<at::Tensor(const at::Tensor&)> convert;  ///< empty: as it is
  std::string note;                                    ///< the conversion (loaded) or the reason (unused)
};

std::string shape(const at::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

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

Route vgg16_route(const std::string& name) {
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

Route mobilenet_v2_route(const std::string& name) {
  if (name.rfind("features.", 0) == 0) return {"backbone." + name, {}, ""};
  return {"", {}, name.rfind("classifier.", 0) == 0 ? "ImageNet's 1000-class output, not part of SSD" : "not a MobileNetV2 tensor"};
}

// torchvision's classifier numbers MobileNetV3's blocks 0..16 in one Sequential; SSD-Lite splits it inside the C4
// block (13), after its expansion convolution, which is a source feature map:
//   features.0..12 -> backbone.features.0.N      features.13.block.0 -> backbone.features.0.13
//   features.13.block.K (K = 1..3) -> backbone.features.1.0.K      features.14..16 -> backbone.features.1.(N - 13)
Route mobilenet_v3_large_route(const std::string& name) {
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

// Why a backbone tensor of ours is not in an ImageNet classifier file.
std::string why_initialised(const std::string& backbone, const std::string& ours) {
  if (ours.find("scale_weight") != std::string::npos) return "SSD's L2Norm scale (starts at 20)";
  if (ours.find("num_batches_tracked") != std::string::npos) return "a batch-norm counter the file does not keep";
  if (backbone == "vgg16" && ours.rfind("backbone.extra.0.", 0) != 0 && ours.rfind("backbone.extra.", 0) == 0) return "an SSD extra layer";
  if (backbone.rfind("mobilenet", 0) == 0 && ours.rfind("backbone.extra.", 0) == 0) return "an SSD-Lite extra block";
  return "not in the file";
}

}  // namespace

LoadReport load_imagenet_backbone(model::SsdImpl& model, const std::string& path) {
  if (!std::filesystem::exists(path)) {
    const std::string name = std::filesystem::path(path).filename().string();
    throw DataError(path + ": weights file not found (model.pretrained_backbone" +
                    (file_normalisation(path) ? "; torchvision publishes it at https://download.pytorch.org/models/" + name : "") +
                    "; an empty value trains from scratch)");
  }
  const auto& backbone = model.backbone_name;
  std::function<Route(const std::string&)> route;
  if (backbone == "vgg16") route = vgg16_route;
  else if (backbone == "mobilenet_v2") route = mobilenet_v2_route;
  else if (backbone == "mobilenet_v3_large" || backbone == "mobilenet_v3_large_full_tail") route = mobilenet_v3_large_route;
  else throw DataError(path + ": model.pretrained_backbone has no ImageNet mapping for backbone '" + backbone + "' (vgg16, mobilenet_v2, mobilenet_v3_large_full_tail)");

  std::map<std::string, at::Tensor> ours;
  for (const auto& p : model.named_parameters()) ours[p.key()] = p.value();
  for (const auto& b : model.named_buffers()) ours[b.key()] = b.value();

  LoadReport report;
  std::set<std::string> filled;
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : read_state_dict(path)) {
    const Route r = route(name);
    if (r.target.empty()) {
      report.unused.push_back(name + ": " + r.note);
      continue;
    }
    const auto it = ours.find(r.target);
    if (it == ours.end()) throw DataError(path + ": '" + name + "' maps to " + r.target + ", which this model does not have");
    if (at::isnan(tensor).any().item<bool>()) {  // the amdegroot features file ships its classifier as NaN
      report.unused.push_back(name + ": holds no weights (NaN)");
      continue;
    }
    const at::Tensor value = r.convert ? r.convert(tensor) : tensor;
    if (value.sizes() != it->second.sizes())
      throw DataError(path + ": tensor '" + name + "' is " + shape(tensor) + (r.convert ? " (" + shape(value) + " after subsampling)" : "") +
                      " but the model's " + r.target + " is " + shape(it->second) +
                      " (ImageNet weights fit the paper's layer widths: model.width_mult 1.0" +
                      (backbone == "mobilenet_v3_large" ? "; and MobileNetV3's full tail: backbone mobilenet_v3_large_full_tail" : "") + ")");
    it->second.copy_(value.to(it->second.dtype()));
    filled.insert(r.target);
    report.loaded.push_back(r.target + " <- " + name + (r.note.empty() ? "" : " (" + r.note + ")"));
  }
  for (const auto& [name, tensor] : ours)
    if (name.rfind("backbone.", 0) == 0 && !filled.count(name)) report.initialised.push_back(name + ": " + why_initialised(backbone, name));
  return report;
}

void load_pretrained_backbone(model::SsdImpl& model, const config::ModelConfig& config) {
  if (config.pretrained_backbone.empty()) return;
  const auto report = load_imagenet_backbone(model, config.pretrained_backbone);
  spdlog::info("model.pretrained_backbone {}: {}; the heads are always initialised (the file's classes are not the detector's)",
               config.pretrained_backbone, report.summary());
  for (const auto& line : report.loaded) spdlog::debug("  loaded {}", line);
}

}  // namespace ssd::interop
