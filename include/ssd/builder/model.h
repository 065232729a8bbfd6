#pragma once
// The builder layer (builder/): the one place where the whole config is turned into objects. Every command, the
// trainer, the range test and the tuner build through it; each component receives only its own section.
// This file: the model.
#include "ssd/config/config.h"
#include "ssd/model/ssd.h"

namespace ssd::builder {

/// The model model.* describes, scoring data.classes (+ background), with random weights.
model::Ssd model(const config::Config& config);

/// The model a new run starts from: built after seeding runtime.seed (its initial weights are part of what makes a run
/// reproducible), with model.init_from's weights, else model.pretrained_backbone's, where set.
model::Ssd initial_model(const config::Config& config);

}  // namespace ssd::builder
