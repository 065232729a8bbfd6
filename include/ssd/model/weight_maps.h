#pragma once
// What a backbone knows about the published weight files of its family; its registry entry (model/registry.h)
// carries it: how an ImageNet classifier file of torchvision's maps onto it (model.pretrained_backbone), which of
// torchvision's SSD detectors it is the backbone of (model.init_from, ssd-export), and the input normalisation each
// of those files was trained with. interop/ reads and writes the files with these maps; a backbone without them has
// none of those features.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ssd::model {

/// On 0..255 RGB pixels: (pixel - mean) / std.
struct PixelNormalisation {
  std::vector<double> mean, std;
};

/// The normalisation of a weights file recognised by its file name (as torchvision publishes it), or none.
using FileNormalisation = std::function<std::optional<PixelNormalisation>(const std::string& file_name)>;

/// torchvision's ImageNet classifiers: the ImageNet mean and std (also model.pixel_mean / pixel_std's defaults).
inline PixelNormalisation imagenet_normalisation() { return {{123.675, 116.28, 103.53}, {58.395, 57.12, 57.375}}; }

/// Where one tensor of a weights file goes: our tensor's name and how it is converted, or (target empty) why it is
/// not used.
struct WeightRoute {
  std::string target;
  std::function<at::Tensor(const at::Tensor&)> convert;  ///< empty: as it is
  std::string note;                                      ///< the conversion (loaded) or the reason (not used)
};

/// torchvision's ImageNet classifier of the backbone's family.
struct ImageNetWeights {
  std::function<WeightRoute(const std::string& file_tensor)> route;
  /// Why a tensor of ours under backbone. is not in such a file ("an SSD extra layer"), or "" when it should be.
  std::function<std::string(const std::string& ours)> not_in_file;
  FileNormalisation normalisation;
  std::string shape_hint;  ///< appended to a shape mismatch ("; and MobileNetV3's full tail: ...")
};

/// torchvision's SSD detector built on the backbone (torchvision.models.detection.<builder>).
struct TorchvisionDetector {
  std::string head;           ///< the head torchvision's model has ("ssd", "ssdlite")
  std::string name;           ///< for messages: "SSD-VGG16"
  std::string builder;        ///< "ssd300_vgg16"
  std::string priors_preset;  ///< the default boxes it was trained with (model.priors.preset)
  int64_t priors_image_size = 0;  ///< the input side that default-box table is for; 0 = any
  bool exportable = false;    ///< ssd-export writes it
  /// Our tensor's name under backbone. -> torchvision's (most are the same).
  std::function<std::string(const std::string& ours)> backbone_name;
  FileNormalisation normalisation;  ///< of its published checkpoints
  std::string shape_hint;           ///< appended to a shape mismatch
};

}  // namespace ssd::model
