#pragma once
// train.lr_scaling: LR0 scaled with the global batch (all ranks x gradient-accumulation steps).
#include <cstdint>
#include <string>

#include "ssd/config/config.h"

namespace ssd::lr {

/// LR0 after train.lr_scaling for a global batch of `global_batch` images; `explanation` (when given)
/// receives the line the log prints, with the numbers.
double scaled_base_lr(const config::Config& config, int64_t global_batch, std::string* explanation = nullptr);

}  // namespace ssd::lr
