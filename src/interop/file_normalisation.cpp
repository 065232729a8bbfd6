#include "ssd/interop/file_normalisation.h"

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace ssd::interop {

std::optional<Normalisation> file_normalisation(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  auto starts = [&](const char* stem) { return name.rfind(stem, 0) == 0; };
  // torchvision's SSD300 transform: Normalize(mean=(0.48235, 0.45882, 0.40784), std=1/255) on 0..1 pixels.
  if (starts("ssd300_vgg16")) return Normalisation{{0.48235 * 255, 0.45882 * 255, 0.40784 * 255}, {1.0, 1.0, 1.0}};
  // torchvision's SSD-Lite transform: Normalize(mean=0.5, std=0.5) on 0..1 pixels.
  if (starts("ssdlite320_mobilenet_v3_large")) return Normalisation{{127.5, 127.5, 127.5}, {127.5, 127.5, 127.5}};
  // The amdegroot features were trained on 0..255 pixels minus the Caffe VGG mean (123, 117, 104).
  if (name.find("amdegroot") != std::string::npos || starts("vgg16_features")) return Normalisation{{123.0, 117.0, 104.0}, {1.0, 1.0, 1.0}};
  for (const char* stem : {"vgg16-", "mobilenet_v2-", "mobilenet_v3_large-"})
    if (starts(stem)) return Normalisation{{123.675, 116.28, 103.53}, {58.395, 57.12, 57.375}};
  return std::nullopt;
}

void adopt_file_normalisation(config::ModelConfig& model) {
  const bool whole = !model.init_from.empty();
  const std::string& file = whole ? model.init_from : model.pretrained_backbone;
  const char* key = whole ? "model.init_from" : "model.pretrained_backbone";
  if (file.empty()) return;
  const auto norm = file_normalisation(file);
  if (!norm) {
    spdlog::warn("{} {}: not a file name torchvision publishes; the input normalisation stays model.pixel_mean / pixel_std "
                 "as configured, check that it is the one the weights were trained with", key, file);
    return;
  }
  // A config that writes the file's values out (0.48235 * 255 as 122.99925) may differ from them in the last bit.
  auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::abs(a[i] - b[i]) > 1e-6 * std::max(1.0, std::abs(b[i]))) return false;
    return true;
  };
  const config::ModelConfig defaults;
  if (same(model.pixel_mean, norm->mean) && same(model.pixel_std, norm->std)) return;
  if (model.pixel_mean == defaults.pixel_mean && model.pixel_std == defaults.pixel_std) {
    model.pixel_mean = norm->mean;
    model.pixel_std = norm->std;
    spdlog::info("model.pixel_mean / pixel_std set to [{}] / [{}], the normalisation {} was trained with", fmt::join(norm->mean, ", "),
                 fmt::join(norm->std, ", "), file);
  } else {
    spdlog::warn("model.pixel_mean / pixel_std are configured as [{}] / [{}], but {} was trained with [{}] / [{}]; kept as configured",
                 fmt::join(model.pixel_mean, ", "), fmt::join(model.pixel_std, ", "), file, fmt::join(norm->mean, ", "),
                 fmt::join(norm->std, ", "));
  }
}

}  // namespace ssd::interop
