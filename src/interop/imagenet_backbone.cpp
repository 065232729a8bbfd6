#include "ssd/interop/imagenet_backbone.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "ssd/model/registry.h"
#include "ssd/interop/state_dict_file.h"
#include "ssd/util/error.h"

namespace ssd::interop {

namespace {

// Why a backbone tensor of ours is not in an ImageNet classifier file.
std::string why_initialised(const model::ImageNetWeights& weights, const std::string& ours) {
  if (ours.find("scale_weight") != std::string::npos) return "SSD's L2Norm scale (starts at 20)";
  if (ours.find("num_batches_tracked") != std::string::npos) return "a batch-norm counter the file does not keep";
  const std::string reason = weights.not_in_file(ours);
  return reason.empty() ? "not in the file" : reason;
}

std::string backbones_with_imagenet_weights() {
  std::string out;
  for (const auto& e : model::backbone_registry().entries())
    if (e.imagenet) out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

}  // namespace

LoadReport load_imagenet_backbone(model::SsdImpl& model, const std::string& path) {
  const auto& backbone = model.backbone_name;
  const auto& entry = model::backbone_registry().get(backbone);
  if (!std::filesystem::exists(path)) {
    const std::string name = std::filesystem::path(path).filename().string();
    const bool published = entry.imagenet && entry.imagenet->normalisation(name);
    throw DataError(path + ": weights file not found (model.pretrained_backbone" +
                    (published ? "; torchvision publishes it at https://download.pytorch.org/models/" + name : "") +
                    "; an empty value trains from scratch)");
  }
  if (!entry.imagenet)
    throw DataError(path + ": model.pretrained_backbone has no ImageNet mapping for backbone '" + backbone + "' (" +
                    backbones_with_imagenet_weights() + ")");
  const auto& weights = *entry.imagenet;

  std::map<std::string, at::Tensor> ours;
  for (const auto& p : model.named_parameters()) ours[p.key()] = p.value();
  for (const auto& b : model.named_buffers()) ours[b.key()] = b.value();

  LoadReport report;
  std::set<std::string> filled;
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : read_state_dict(path)) {
    const model::WeightRoute r = weights.route(name);
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
      throw DataError(path + ": tensor '" + name + "' is " + shape_text(tensor) + (r.convert ? " (" + shape_text(value) + " after subsampling)" : "") +
                      " but the model's " + r.target + " is " + shape_text(it->second) +
                      " (ImageNet weights fit the paper's layer widths: model.width_mult 1.0" + weights.shape_hint + ")");
    it->second.copy_(value.to(it->second.dtype()));
    filled.insert(r.target);
    report.loaded.push_back(r.target + " <- " + name + (r.note.empty() ? "" : " (" + r.note + ")"));
  }
  for (const auto& [name, tensor] : ours)
    if (name.rfind("backbone.", 0) == 0 && !filled.count(name)) report.initialised.push_back(name + ": " + why_initialised(weights, name));
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
