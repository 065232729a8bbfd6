#pragma once
// ImageNet weights for the SSD backbone from torchvision's published classification files (model.pretrained_backbone):
//   vgg16: vgg16-397923af.pth (the classifier) or vgg16_features-amdegroot-88682ab5.pth (the features file that
//     torchvision's SSD starts from). conv1_1..conv5_3 load by name (features.N; conv5_x live in our extra.0, as in
//     torchvision's SSDFeatureExtractorVGG). fc6 and fc7 become SSD's dilated 3x3 and 1x1 convolutions by
//     subsampling, as the SSD paper did ("reduced fc"): fc6 [4096, 512*7*7] viewed as [4096, 512, 7, 7] keeps every
//     4th filter and every 3rd kernel tap -> [1024, 512, 3, 3]; fc7 [4096, 4096] keeps every 4th filter and input
//     -> [1024, 1024, 1, 1]; their biases every 4th value. The features file has no classifier weights (NaN), so
//     fc6 and fc7 keep their initialisation there.
//   mobilenet_v2: mobilenet_v2-b0353104.pth / mobilenet_v2-7ebf99e0.pth, features.* by name (batch-norm statistics
//     included).
// Everything else of the SSD (L2Norm scale, extra layers, heads) keeps its initialisation; the report says which
// and why. A shape mismatch is an error naming the tensor and both shapes (width_mult must be 1.0).
#include <optional>
#include <string>
#include <vector>

#include "ssd/config/config.h"
#include "ssd/model/ssd.h"

namespace ssd::interop {

/// What loading did, tensor by tensor, for the log.
struct LoadReport {
  std::vector<std::string> loaded;       ///< "ours <- file's" (with the conversion, where there is one)
  std::vector<std::string> initialised;  ///< "ours: why" for every backbone tensor not loaded
  std::vector<std::string> unused;       ///< "file's: why" for every tensor of the file not used
  /// One paragraph: counts, then each left-out group and reason.
  std::string summary() const;
};

/// The input normalisation a published file was trained with, recognised by its file name:
/// the amdegroot VGG features take 0..255 pixels minus (123, 117, 104) without scaling; torchvision's
/// classification files the ImageNet mean and std (the model.pixel_mean / pixel_std defaults).
struct Normalisation {
  std::vector<double> mean, std;
};
std::optional<Normalisation> file_normalisation(const std::string& path);

/// Loads the file into model.backbone (its backbone_name decides the mapping). Throws DataError naming the file
/// for a file it cannot read, a backbone without a mapping, or a tensor whose shape does not fit.
LoadReport load_imagenet_backbone(model::SsdImpl& model, const std::string& path);

/// For a new run with model.pretrained_backbone: sets model.pixel_mean / pixel_std to what the file was trained
/// with when they are at their defaults (logged), and warns when they were configured to something else.
void adopt_file_normalisation(config::ModelConfig& model);

/// Loads model.pretrained_backbone, when set, into the model and logs the report (a new run, not a resume).
void load_pretrained_backbone(model::SsdImpl& model, const config::ModelConfig& config);

}  // namespace ssd::interop
