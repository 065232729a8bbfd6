#include "ssd/runtime/mixed_precision.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>

#include <cmath>
#include <sstream>

#include "ssd/runtime/autocast_state.h"
#include "ssd/util/error.h"

namespace ssd::runtime {

at::ScalarType resolve_amp_dtype(const std::string& name, c10::Device device) {
  if (name == "float16") {
    if (!device.is_cuda())
      throw ConfigError("train.amp_dtype: float16 needs a CUDA device (LibTorch's CPU autocast runs bfloat16 only); use auto or "
                        "bfloat16 on " + device.str());
    return at::kHalf;
  }
  if (name == "bfloat16") return at::kBFloat16;
  if (name == "auto") return device.is_cuda() ? at::kHalf : at::kBFloat16;
  throw ConfigError("train.amp_dtype: '" + name + "' is not one of auto, float16, bfloat16");
}

GradientScaler::GradientScaler(bool enabled, Options options) : enabled_(enabled), options_(options), scale_(options.init_scale) {}

at::Tensor GradientScaler::scale_loss(const at::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }

bool GradientScaler::unscale(const std::vector<at::Tensor>& parameters) const {
  if (!enabled_) return true;
  // The reciprocal in double, rounded once to float: what torch's GradScaler multiplies by.
  const double inverse = static_cast<double>(static_cast<float>(1.0 / scale_));
  at::Tensor all_finite;
  for (const auto& p : parameters) {
    auto g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inverse);
    // Kept on the device and combined there: one host sync for the whole model instead of one per tensor.
    const auto finite = at::isfinite(g).all();
    all_finite = all_finite.defined() ? at::logical_and(all_finite, finite) : finite;
  }
  return !all_finite.defined() || all_finite.item<bool>();
}

void GradientScaler::update(bool gradients_finite) {
  if (!enabled_) return;
  if (!gradients_finite) {
    scale_ *= options_.backoff;
    clean_steps_ = 0;
    return;
  }
  if (++clean_steps_ == options_.growth_interval) {
    // Never grow into inf: torch keeps the scale when the product would overflow float32.
    if (std::isfinite(static_cast<float>(scale_ * options_.growth))) scale_ *= options_.growth;
    clean_steps_ = 0;
  }
}

std::string GradientScaler::state() const {
  std::ostringstream os;
  os.precision(17);
  os << scale_ << " " << clean_steps_;
  return os.str();
}

void GradientScaler::load_state(const std::string& text) {
  if (text.empty()) return;
  std::istringstream is(text);
  double scale = 0;
  int64_t clean = 0;
  if (!(is >> scale >> clean) || !(scale > 0) || clean < 0)
    throw CheckpointError("gradient scaler state '" + text + "' is not 'scale clean_steps'");
  scale_ = scale;
  clean_steps_ = clean;
}

AutocastScope::AutocastScope(bool enabled, c10::Device device, at::ScalarType dtype)
    : enabled_(enabled), type_(device.is_cuda() ? c10::kCUDA : c10::kCPU) {
  if (!enabled_) return;
  was_enabled_ = runtime::autocast_enabled(type_);
  previous_dtype_ = runtime::autocast_dtype(type_);
  runtime::set_autocast_dtype(type_, dtype);
  runtime::set_autocast_enabled(type_, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!enabled_) return;
  // The cache holds half-precision copies of the weights: stale as soon as the optimizer steps.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  runtime::set_autocast_enabled(type_, was_enabled_);
  runtime::set_autocast_dtype(type_, previous_dtype_);
}

MixedPrecision::MixedPrecision(const config::TrainConfig& c, c10::Device device)
    : enabled(c.amp),
      dtype(c.amp ? resolve_amp_dtype(c.amp_dtype, device) : at::kFloat),
      scaler(c.amp && dtype == at::kHalf) {}

std::string MixedPrecision::describe() const {
  if (!enabled) return "float32";
  std::ostringstream os;
  os << "mixed precision (" << (dtype == at::kHalf ? "float16" : "bfloat16") << " autocast";
  if (scaler.enabled()) os << ", dynamic loss scale from " << scaler.scale();
  os << ")";
  return os.str();
}

}  // namespace ssd::runtime
