#pragma once
// The plug-in tables of the model: backbones and heads, by the names used in model.backbone / model.head.
#include <functional>
#include <memory>

#include "ssd/model/backbone.h"
#include "ssd/model/heads.h"
#include "ssd/util/registry.h"

namespace ssd::model {

using BackboneFactory = std::function<std::shared_ptr<Backbone>(const BackboneOptions&)>;
using HeadFactory = std::function<std::shared_ptr<Head>(const HeadOptions&)>;

const util::Registry<BackboneFactory>& backbone_registry();
const util::Registry<HeadFactory>& head_registry();

}  // namespace ssd::model
