#pragma once
// Whether a training state holds only finite numbers: every checkpoint write asks first (a diverged model is never
// written), and the non-finite-loss guard asks at every epoch's end.
#include <string>

#include <torch/optim/optimizer.h>

#include "ssd/model/ssd.h"

namespace ssd::engine {

/// The first parameter, buffer or optimizer-state tensor (when `optimizer` is given) that holds a NaN or an
/// infinity, named for a message ("parameter 'head.loc.0.weight'"); "" when every value is finite.
std::string first_non_finite(model::Ssd& model, torch::optim::Optimizer* optimizer);

}  // namespace ssd::engine
