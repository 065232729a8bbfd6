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
//   mobilenet_v3_large_full_tail: mobilenet_v3_large-8738ca79.pth / -5c1a4163.pth, features.* renumbered where SSD-Lite
//     splits the C4 block (the reduced tail of backbone mobilenet_v3_large does not fit ImageNet's full one).
// Everything else of the SSD (L2Norm scale, extra layers, heads) keeps its initialisation; the report says which
// and why. A shape mismatch is an error naming the tensor and both shapes (width_mult must be 1.0).
#include <string>
#include <vector>

#include "ssd/config/config.h"
#include "ssd/interop/load_report.h"
#include "ssd/model/ssd.h"

namespace ssd::interop {

/// Loads the file into model.backbone (its backbone_name decides the mapping). Throws DataError naming the file
/// for a file it cannot read, a backbone without a mapping, or a tensor whose shape does not fit.
LoadReport load_imagenet_backbone(model::SsdImpl& model, const std::string& path);

/// Loads model.pretrained_backbone, when set, into the model and logs the report (a new run, not a resume).
void load_pretrained_backbone(model::SsdImpl& model, const config::ModelConfig& config);

}  // namespace ssd::interop
