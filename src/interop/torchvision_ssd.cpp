#include "ssd/interop/torchvision_ssd.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "ssd/model/registry.h"
#include "ssd/interop/state_dict_file.h"
#include "ssd/util/error.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::interop {

namespace {

// The torchvision detector that `model` is: its backbone's entry says which, if any, and its head must be that one's.
const model::TorchvisionDetector* detector_of(const model::SsdImpl& model) {
  const auto& entry = model::backbone_registry().get(model.backbone_name);
  if (!entry.torchvision || entry.torchvision->head != model.head_name) return nullptr;
  return &*entry.torchvision;
}

const model::TorchvisionDetector& require_detector(const model::SsdImpl& model, const std::string& what) {
  if (const auto* detector = detector_of(model)) return *detector;
  std::string layouts;
  for (const auto& e : model::backbone_registry().entries())
    if (e.torchvision) layouts += (layouts.empty() ? "" : ", ") + e.name + " with the " + e.torchvision->head + " head (" + e.torchvision->builder + ")";
  throw DataError(what + ": torchvision's SSD layouts are " + layouts + "; this model is " + model.backbone_name + " with the " +
                  model.head_name + " head");
}

// Our name -> torchvision's; "" for what its model does not hold (our default boxes, a buffer). Below backbone., the
// backbone's own map (most names are the same).
std::string torchvision_name(const std::string& ours, const model::TorchvisionDetector& detector) {
  static const std::regex head(R"(head\.(loc|conf)\.(\d+)\.(.+))");
  if (ours == "priors") return "";
  if (ours.rfind("backbone.", 0) == 0) return detector.backbone_name(ours);
  std::smatch m;
  if (std::regex_match(ours, m, head))
    return std::string("head.") + (m[1] == "loc" ? "regression_head" : "classification_head") + ".module_list." + m[2].str() + "." +
           m[3].str();
  return ours;
}

struct Slot {
  std::string ours;
  at::Tensor tensor;
};

// torchvision's name -> our tensor, for every tensor the two models share.
std::map<std::string, Slot> shared_tensors(model::SsdImpl& model, const model::TorchvisionDetector& detector) {
  std::map<std::string, Slot> slots;
  for (const auto& p : model.named_parameters())
    if (const auto tv = torchvision_name(p.key(), detector); !tv.empty()) slots[tv] = {p.key(), p.value()};
  for (const auto& b : model.named_buffers())
    if (const auto tv = torchvision_name(b.key(), detector); !tv.empty()) slots[tv] = {b.key(), b.value()};
  return slots;
}

// A classification convolution that differs from ours in its output rows only: the file scores another class count.
bool other_class_count(const std::string& name, const at::Tensor& file, const at::Tensor& ours) {
  if (name.find("classification_head") == std::string::npos || file.dim() != ours.dim()) return false;
  for (int64_t d = 1; d < file.dim(); ++d)
    if (file.size(d) != ours.size(d)) return false;
  return true;
}

// The default boxes torchvision's model was trained with, for this model's maps: its ssd300_vgg16 table, or SSD-Lite's
// DefaultBoxGenerator([[2, 3]] * 6, min_ratio=0.2, max_ratio=0.95), which is the scales preset. Undefined where
// torchvision has none (SSD512).
at::Tensor torchvision_priors(const model::SsdImpl& model, const model::TorchvisionDetector& detector) {
  const auto& size = model.image_size();
  if (!size.square() || (detector.priors_image_size > 0 && size.width != detector.priors_image_size)) return {};
  config::PriorConfig c;
  c.preset = detector.priors_preset;
  c.s_min = 0.2, c.s_max = 0.95;
  const auto table = model::resolve_priors(c, c.preset, model.image_size(), model.feature_specs());
  return model::make_priors(table, model.image_size(), model.feature_specs());
}

int64_t level_of(const std::string& name) {
  static const std::regex level(R"(module_list\.(\d+)\.)");
  std::smatch m;
  return std::regex_search(name, m, level) ? std::stoll(m[1]) : 0;
}

}  // namespace

LoadReport load_torchvision_ssd(model::SsdImpl& model, const std::string& path) {
  if (!fs::exists(path))
    throw DataError(path + ": weights file not found (model.init_from; torchvision publishes its COCO models as "
                    "https://download.pytorch.org/models/ssd300_vgg16_coco-b556d3b4.pth and "
                    "https://download.pytorch.org/models/ssdlite320_mobilenet_v3_large_coco-a79551df.pth)");
  const auto& detector = require_detector(model, path);
  auto slots = shared_tensors(model, detector);
  LoadReport report;
  std::set<std::string> handled;
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : read_state_dict(path)) {
    const auto it = slots.find(name);
    if (it == slots.end()) {
      report.unused.push_back(name + ": not a tensor of torchvision's " + detector.name);
      continue;
    }
    auto& slot = it->second;
    if (tensor.sizes() != slot.tensor.sizes()) {
      const int64_t anchors = model.prior_table().anchors_per_cell(static_cast<size_t>(level_of(name)));
      if (other_class_count(name, tensor, slot.tensor) && tensor.size(0) % anchors == 0) {
        // Fine-tuning to other classes: the scores per class cannot carry over, everything else does.
        report.initialised.push_back(slot.ours + ": re-initialised, the file scores " + std::to_string(tensor.size(0) / anchors) +
                                     " classes (with background) and the model " + std::to_string(model.num_classes()));
        handled.insert(slot.ours);
        continue;
      }
      throw DataError(path + ": tensor '" + name + "' is " + shape_text(tensor) + " but the model's " + slot.ours + " is " + shape_text(slot.tensor) +
                      " (torchvision's " + detector.name + " has the paper's layer widths, model.width_mult 1.0, and its default boxes per cell" +
                      detector.shape_hint + ")");
    }
    slot.tensor.copy_(tensor.to(slot.tensor.dtype()));
    handled.insert(slot.ours);
    report.loaded.push_back(slot.ours + " <- " + name);
  }
  if (report.loaded.empty())
    throw DataError(path + ": holds no tensor of torchvision's " + detector.name + " (the first is " +
                    (report.unused.empty() ? std::string("none") : report.unused.front().substr(0, report.unused.front().find(": "))) +
                    "); model.init_from takes a state dict of torchvision.models.detection." + detector.builder + " or of ssd-export");
  for (const auto& [tv, slot] : slots)
    if (!handled.count(slot.ours)) report.initialised.push_back(slot.ours + ": not in the file");
  return report;
}

void load_init_from(model::SsdImpl& model, const config::ModelConfig& config) {
  if (config.init_from.empty()) return;
  const auto report = load_torchvision_ssd(model, config.init_from);
  spdlog::info("model.init_from {}: {}", config.init_from, report.summary());
  for (const auto& line : report.loaded) spdlog::debug("  loaded {}", line);
  const auto theirs = torchvision_priors(model, require_detector(model, config.init_from));
  if (!theirs.defined() || !theirs.sizes().equals(model.priors().sizes()) || !at::allclose(theirs, model.priors().cpu(), 0.0, 1e-6))
    spdlog::warn("model.init_from: torchvision's model learned its box regressions against its own default boxes "
                 "(model.priors.preset: torchvision for SSD300-VGG16, scales with s_min 0.2 and s_max 0.95 for SSD-Lite); this "
                 "model has others ({}): detections are off until fine-tuning has adapted the regressions", model.prior_table().preset);
}

namespace {

// The three models torchvision's parts make, told by the backbone: each has its loader script and its limits.
enum class Layout { kVgg, kMobileNetV3, kMobileNetV2 };

Layout layout_of(const model::SsdImpl& model) {
  if (model.backbone_name == "vgg16") return Layout::kVgg;
  return model.backbone_name == "mobilenet_v2" ? Layout::kMobileNetV2 : Layout::kMobileNetV3;
}

// What torchvision's model can be for this one, or a DataError saying why not.
void check_exportable(const model::SsdImpl& model, const model::TorchvisionDetector& detector) {
  if (!detector.exportable)
    throw DataError("ssd-export: this model is " + model.backbone_name + " with the " + model.head_name +
                    " head, which model.init_from reads but ssd-export does not write yet");
  // torchvision's GeneralizedRCNNTransform resizes each side to the input's: the detections would differ on any image
  // that is not square.
  if (model.resize_policy() != "stretch")
    throw DataError("ssd-export: torchvision's SSD stretches every image to its input; this model was trained with model.resize " +
                    model.resize_policy() + ", which its transform cannot reproduce");
  const auto& specs = model.feature_specs();
  if (layout_of(model) == Layout::kVgg) {
    // torchvision's SSDFeatureExtractorVGG has the SSD300 and SSD512 layouts at their own squares only.
    if (model.image_size() != config::ImageSize{300, 300} && model.image_size() != config::ImageSize{512, 512})
      throw DataError("ssd-export: torchvision's VGG16 SSD takes inputs of 300 x 300 or 512 x 512; this model's model.image_size is " +
                      model.image_size().str());
    // torchvision builds VGG16 at the paper's widths only; a thinner model's file would not load there.
    if (specs.front().channels != 512)
      throw DataError("ssd-export: torchvision's SSD-VGG16 has the paper's layer widths (conv4_3: 512 channels); this model has " +
                      std::to_string(specs.front().channels) + " (model.width_mult other than 1.0)");
    return;
  }
  // SSD-Lite: the loader script builds any square input. MobileNetV2's is assembled from torchvision's parts at any
  // width; MobileNetV3's extractor has extra blocks of fixed widths (512, 256, 256, 128) where ours scale with
  // model.width_mult.
  if (!model.image_size().square())
    throw DataError("ssd-export: the loader script builds a square SSD-Lite; this model's model.image_size is " + model.image_size().str());
  if (layout_of(model) == Layout::kMobileNetV2) return;
  if (specs.size() != 6 || specs.front().channels != 672 || specs[2].channels != 512)
    throw DataError("ssd-export: torchvision's SSD-Lite has MobileNetV3-Large's widths (C4 expansion: 672 channels, extras from 512); "
                    "this model has " + std::to_string(specs.front().channels) + " and " +
                    std::to_string(specs.size() > 2 ? specs[2].channels : 0) + " (model.width_mult other than 1.0)");
}

}  // namespace

void check_torchvision_export(const model::SsdImpl& model) { check_exportable(model, require_detector(model, "ssd-export")); }

void export_torchvision_ssd(model::SsdImpl& model, const std::string& path) {
  const auto& detector = require_detector(model, "ssd-export");
  check_exportable(model, detector);
  c10::Dict<std::string, at::Tensor> state;
  for (const auto& [tv, slot] : shared_tensors(model, detector)) state.insert(tv, slot.tensor.detach().to(at::kCPU).contiguous().clone());
  const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(state));
  // Whole or not at all: a failed write never leaves half a file under its name.
  util::AtomicFile out(path);
  out.append(bytes.data(), bytes.size());
  out.commit();
}

std::string torchvision_loader_script(const model::SsdImpl& model, const config::Config& config, const std::string& exported) {
  const auto& p = config.postprocess;
  const auto& classes = config.data.classes;
  const auto& t = model.prior_table();
  const double S = static_cast<double>(model.image_size().width);  // a square (export_torchvision_ssd)
  std::ostringstream py;
  py.precision(9);
  auto list = [&](const std::vector<double>& v, double scale) {
    std::ostringstream os;
    os.precision(9);
    os << "[";
    for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i] * scale;
    os << "]";
    return os.str();
  };
  const Layout layout = layout_of(model);
  // Text from a path or a config goes in as a JSON string, which is a Python string literal too, or, in a comment,
  // on one line: the script is run (ssd-export --format onnx), so nothing in it may become code.
  auto one_line = [](std::string text) {
    for (char& c : text)
      if (c == '\n' || c == '\r') c = ' ';
    return text;
  };
  py << "# Builds torchvision's SSD around " << one_line(exported) << " (written by ssd-export): same network, default boxes,\n"
     << "# input normalisation and post-processing as the C++ model. Needs torch and torchvision.\n"
     << "import torch\n";
  if (layout == Layout::kVgg) {
    py << "from torchvision.models import vgg16\n"
       << "from torchvision.models.detection.anchor_utils import DefaultBoxGenerator\n"
       << "from torchvision.models.detection.ssd import SSD, SSDFeatureExtractorVGG\n\n";
  } else if (layout == Layout::kMobileNetV3) {
    py << "from functools import partial\n"
       << "from torch import nn\n"
       << "from torchvision.models.mobilenetv3 import mobilenet_v3_large\n"
       << "from torchvision.models.detection.anchor_utils import DefaultBoxGenerator\n"
       << "from torchvision.models.detection.ssd import SSD\n"
       << "from torchvision.models.detection.ssdlite import SSDLiteHead, _mobilenet_extractor\n\n";
  } else {
    // torchvision has no SSD-Lite MobileNetV2: the extractor is assembled here, keeping mobilenet_v2's features whole
    // so that the tensor names are the C++ model's.
    py << "from collections import OrderedDict\n"
       << "from functools import partial\n"
       << "from torch import nn\n"
       << "from torchvision.models import mobilenet_v2\n"
       << "from torchvision.models.detection.anchor_utils import DefaultBoxGenerator\n"
       << "from torchvision.models.detection.ssd import SSD\n"
       << "from torchvision.models.detection.ssdlite import SSDLiteHead, _extra_block\n\n\n"
       << "class MobileNetV2SSDLite(nn.Module):\n"
       << "    \"\"\"MobileNetV2's features and SSD-Lite's extra blocks; the first source is the expansion of the last stride-2 block.\"\"\"\n\n"
       << "    def __init__(self, width, extras, norm_layer):\n"
       << "        super().__init__()\n"
       << "        self.features = mobilenet_v2(width_mult=width, norm_layer=norm_layer).features\n"
       << "        self.tap = max(i for i, block in enumerate(self.features) if getattr(block, \"stride\", 1) == 2)\n"
       << "        self.extra = nn.ModuleList([_extra_block(a, b, norm_layer) for a, b in zip(extras, extras[1:])])\n\n"
       << "    def forward(self, x):\n"
       << "        out = []\n"
       << "        for i, block in enumerate(self.features):\n"
       << "            if i == self.tap:  # stride 2: no residual\n"
       << "                x = block.conv[0](x)\n"
       << "                out.append(x)\n"
       << "                x = block.conv[1:](x)\n"
       << "            else:\n"
       << "                x = block(x)\n"
       << "        out.append(x)\n"
       << "        for block in self.extra:\n"
       << "            x = block(x)\n"
       << "            out.append(x)\n"
       << "        return OrderedDict((str(i), v) for i, v in enumerate(out))\n\n\n";
  }
  py << "aspect_ratios = [";
  for (size_t k = 0; k < t.aspect_ratios.size(); ++k) py << (k ? ", " : "") << list(t.aspect_ratios[k], 1.0);
  py << "]\n";
  py << "anchors = DefaultBoxGenerator(aspect_ratios, steps=" << list(t.steps, 1.0) << ", clip=" << (t.clip ? "True" : "False") << ")\n";
  // DefaultBoxGenerator's scales list ties each level's second square to the next level's first, which the SSD512
  // table does not; the (w, h) pairs themselves describe any table exactly, in the order both models use.
  py << "anchors._wh_pairs = [torch.tensor(p) for p in [\n";
  for (size_t k = 0; k < t.min_sizes.size(); ++k) {
    const double s = t.min_sizes[k] / S, s2 = std::sqrt(t.min_sizes[k] * t.max_sizes[k]) / S;
    py << "    [[" << s << ", " << s << "], [" << s2 << ", " << s2 << "]";
    for (double r : t.aspect_ratios[k]) {
      const double q = std::sqrt(r);
      py << ", [" << s * q << ", " << s / q << "], [" << s / q << ", " << s * q << "]";
    }
    py << "],\n";
  }
  py << "]]\n";
  if (std::abs(t.offset - 0.5) > 1e-12)
    py << "# note: this model puts box centres at offset " << t.offset << " of a cell; torchvision always uses 0.5\n";
  std::string channels;
  for (size_t k = 0; k < model.feature_specs().size(); ++k) channels += (k ? ", " : "") + std::to_string(model.feature_specs()[k].channels);
  if (layout == Layout::kVgg) {
    py << "model = SSD(SSDFeatureExtractorVGG(vgg16().features, highres=" << (model.image_size().width == 512 ? "True" : "False") << "), anchors, ("
       << model.image_size().width << ", " << model.image_size().height << "), num_classes=" << model.num_classes() << ",\n";
  } else {
    py << "norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)\n";
    if (layout == Layout::kMobileNetV3) {
      // torchvision's ssdlite320_mobilenet_v3_large from its parts, at this model's size and tail.
      const bool reduced_tail = model.feature_specs()[1].channels != 960;
      py << "backbone = _mobilenet_extractor(mobilenet_v3_large(norm_layer=norm_layer, reduced_tail=" << (reduced_tail ? "True" : "False")
         << "), 6, norm_layer)\n";
    } else {
      std::string extras;  // the last feature map's channels, then each extra block's
      for (size_t k = 1; k < model.feature_specs().size(); ++k) extras += (k > 1 ? ", " : "") + std::to_string(model.feature_specs()[k].channels);
      py << "backbone = MobileNetV2SSDLite(" << config.model.width_mult << ", [" << extras << "], norm_layer)\n";
    }
    py << "head = SSDLiteHead([" << channels << "], anchors.num_anchors_per_location(), " << model.num_classes() << ", norm_layer)\n"
       << "model = SSD(backbone, anchors, (" << model.image_size().width << ", " << model.image_size().height << "), num_classes="
       << model.num_classes() << ", head=head,\n";
  }
  py << "            image_mean=" << list(model.pixel_mean(), 1.0 / 255) << ", image_std=" << list(model.pixel_std(), 1.0 / 255) << ",\n"
     << "            score_thresh=" << p.score_threshold << ", nms_thresh=" << p.nms_iou << ", topk_candidates=" << p.top_k_per_class
     << ", detections_per_img=" << p.max_per_image << ")\n"
     << "model.load_state_dict(torch.load(" << nlohmann::json(exported).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
     << "))\n"
     << "model.eval()\n"
     << "# Labels are 1-based: " << classes.size() << " classes, ";
  for (size_t i = 0; i < classes.size() && i < 8; ++i) py << (i ? ", " : "") << i + 1 << " = " << one_line(classes[i]);
  py << (classes.size() > 8 ? ", ..." : "") << "\n";
  return py.str();
}

}  // namespace ssd::interop
