#pragma once
// train.lr_scaling: LR0 scaled with the global batch (all ranks x gradient-accumulation steps).
#include <cstdint>
#include <string>

namespace ssd::lr {

/// LR0 `lr` after `rule` (none, linear: x B / reference_batch, sqrt: x sqrt(B / reference_batch)) for a global batch
/// of `global_batch` images; `explanation` (when given) receives the line the log prints, with the numbers.
double scaled_base_lr(double lr, const std::string& rule, int64_t reference_batch, int64_t global_batch,
                      std::string* explanation = nullptr);

}  // namespace ssd::lr
