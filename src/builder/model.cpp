#include "ssd/builder/model.h"

#include "ssd/interop/initial_weights.h"
#include "ssd/runtime/runtime.h"

namespace ssd::builder {

model::Ssd model(const config::Config& c) { return model::build_ssd(c.model, static_cast<int64_t>(c.data.classes.size()) + 1); }

model::Ssd initial_model(const config::Config& c) {
  runtime::seed_everything(static_cast<uint64_t>(c.runtime.seed));
  auto built = model(c);
  interop::load_initial_weights(*built, c.model);
  return built;
}

}  // namespace ssd::builder
