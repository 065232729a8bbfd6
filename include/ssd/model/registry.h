#pragma once
// The plug-in tables of the model: backbones and heads, by the names used in model.backbone / model.head. A backbone's
// entry carries what belongs to it beyond its layers: its weight-file maps and normalisations (model/weight_maps.h).
// A new backbone is its file (model/<name>.h, .cpp) plus its row in src/model/registry.cpp.
#include <functional>
#include <memory>
#include <optional>

#include "ssd/model/backbone.h"
#include "ssd/model/heads.h"
#include "ssd/model/weight_maps.h"
#include "ssd/util/registry.h"

namespace ssd::model {

using BackboneFactory = std::function<std::shared_ptr<Backbone>(const BackboneOptions&)>;
using HeadFactory = std::function<std::shared_ptr<Head>(const HeadOptions&)>;

struct BackboneEntry {
  std::string name;
  std::string description;
  BackboneFactory factory;
  std::optional<ImageNetWeights> imagenet;        ///< model.pretrained_backbone reads torchvision's ImageNet file
  std::optional<TorchvisionDetector> torchvision;  ///< model.init_from and ssd-export speak torchvision's detector
};

const util::Registry<BackboneEntry>& backbone_registry();
const util::Registry<util::Plugin<HeadFactory>>& head_registry();

}  // namespace ssd::model
