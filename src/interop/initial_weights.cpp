#include "ssd/interop/initial_weights.h"

#include <spdlog/spdlog.h>

#include "ssd/interop/imagenet_backbone.h"
#include "ssd/interop/torchvision_ssd.h"

namespace ssd::interop {

void load_initial_weights(model::SsdImpl& model, const config::ModelConfig& config) {
  if (config.init_from.empty()) {
    load_pretrained_backbone(model, config);
    return;
  }
  if (!config.pretrained_backbone.empty())
    spdlog::info("model.pretrained_backbone {} not read: model.init_from sets the whole network", config.pretrained_backbone);
  load_init_from(model, config);
}

}  // namespace ssd::interop
