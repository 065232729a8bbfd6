#pragma once
// The input normalisation that a published weights file was trained with, recognised by the file name that
// torchvision publishes it under (each backbone's registry entry knows its family's files, model/weight_maps.h). A
// network fed pixels normalised otherwise than it was trained on still runs but scores worse, silently; so a new run
// adopts the file's normalisation when model.pixel_mean / pixel_std are left at their defaults, and warns when they
// were configured to something else.
#include <optional>
#include <string>

#include "ssd/config/config.h"
#include "ssd/model/weight_maps.h"

namespace ssd::interop {

/// The normalisation of `path` for `backbone` as a whole detector (whole = true: model.init_from, torchvision's
/// detector files) or as its ImageNet backbone (model.pretrained_backbone); nullopt for a name torchvision does not
/// publish for it.
std::optional<model::PixelNormalisation> file_normalisation(const std::string& backbone, const std::string& path, bool whole);

/// For a new run: the file that decides the normalisation is model.init_from (the whole network) when set, else
/// model.pretrained_backbone. Sets model.pixel_mean / pixel_std to the file's (logged) when they are at their
/// defaults; warns when they are configured otherwise or the file name is not one torchvision publishes.
void adopt_file_normalisation(config::ModelConfig& model);

}  // namespace ssd::interop
