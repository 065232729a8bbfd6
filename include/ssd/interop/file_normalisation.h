#pragma once
// The input normalisation that a published weights file was trained with, recognised by the file name that
// torchvision publishes it under. A network fed pixels normalised otherwise than it was trained on still runs but
// scores worse, silently; so a new run adopts the file's normalisation when model.pixel_mean / pixel_std are left at
// their defaults, and warns when they were configured to something else.
#include <optional>
#include <string>
#include <vector>

#include "ssd/config/config.h"

namespace ssd::interop {

struct Normalisation {
  std::vector<double> mean, std;  ///< on 0..255 pixels: (pixel - mean) / std
};

/// torchvision's ImageNet classifiers: the ImageNet mean and std (the model.pixel_mean / pixel_std defaults);
/// the amdegroot VGG features: 0..255 pixels minus (123, 117, 104), unscaled; torchvision's ssd300_vgg16
/// checkpoints: its transform's mean (0.48235, 0.45882, 0.40784) * 255 with std 1/255 * 255 = 1; its
/// ssdlite320_mobilenet_v3_large checkpoints: 127.5 and 127.5. nullopt for a name torchvision does not publish.
std::optional<Normalisation> file_normalisation(const std::string& path);

/// For a new run: the file that decides the normalisation is model.init_from (the whole network) when set, else
/// model.pretrained_backbone. Sets model.pixel_mean / pixel_std to the file's (logged) when they are at their
/// defaults; warns when they are configured otherwise or the file name is not one torchvision publishes.
void adopt_file_normalisation(config::ModelConfig& model);

}  // namespace ssd::interop
