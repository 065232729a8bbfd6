#pragma once
// The weights a new run (and ssd-detect from a config) starts from: model.init_from, a whole detector, when set;
// else model.pretrained_backbone, ImageNet weights for the backbone; else the initialisation the model was built with.
#include "ssd/config/config.h"
#include "ssd/model/ssd.h"

namespace ssd::interop {

/// Loads what the config names and logs the report. A set init_from replaces the whole network, so
/// pretrained_backbone is then not read at all (it would be overwritten: reading a 500 MB file for nothing); the log
/// says so.
void load_initial_weights(model::SsdImpl& model, const config::ModelConfig& config);

}  // namespace ssd::interop
