#include "ssd/interop/file_normalisation.h"

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "ssd/model/registry.h"

namespace ssd::interop {

std::optional<model::PixelNormalisation> file_normalisation(const std::string& backbone, const std::string& path, bool whole) {
  const std::string name = std::filesystem::path(path).filename().string();
  const auto& entry = model::backbone_registry().get(backbone);
  if (whole) return entry.torchvision ? entry.torchvision->normalisation(name) : std::nullopt;
  return entry.imagenet ? entry.imagenet->normalisation(name) : std::nullopt;
}

void adopt_file_normalisation(config::ModelConfig& model) {
  const bool whole = !model.init_from.empty();
  const std::string& file = whole ? model.init_from : model.pretrained_backbone;
  const char* key = whole ? "model.init_from" : "model.pretrained_backbone";
  if (file.empty()) return;
  const auto norm = file_normalisation(model.backbone, file, whole);
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
