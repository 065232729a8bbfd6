#pragma once
// Automatic mixed precision (train.amp, train.amp_dtype): the forward pass runs under LibTorch's autocast in half
// precision while weights, gradients and optimizer state stay float32; float16 gradients are scaled so that small
// ones do not underflow to zero. LibTorch 1.13 has autocast but no C++ GradScaler: GradientScaler below follows
// the semantics of torch.cuda.amp.GradScaler (dynamic loss scale, skipped steps on inf/NaN gradients).
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "ssd/config/config.h"

namespace ssd::runtime {

/// train.amp_dtype for `device`: auto is float16 on CUDA and bfloat16 on the CPU (LibTorch's CPU autocast has no
/// float16). ConfigError naming the key for float16 on the CPU.
at::ScalarType resolve_amp_dtype(const std::string& name, c10::Device device);

/// Dynamic loss scaling. The loss is multiplied by `scale` before backward; the gradients are divided by it
/// before clipping and the optimizer step. A step whose gradients hold inf or NaN is skipped and the scale
/// multiplied by backoff; after growth_interval clean steps in a row it is multiplied by growth.
class GradientScaler {
 public:
  struct Options {
    double init_scale = 65536.0;  // 2^16, torch's default
    double growth = 2.0;
    double backoff = 0.5;
    int64_t growth_interval = 2000;
  };
  explicit GradientScaler(bool enabled, Options options);
  explicit GradientScaler(bool enabled) : GradientScaler(enabled, Options()) {}

  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }
  int64_t clean_steps() const { return clean_steps_; }

  /// loss x scale (the loss itself when disabled).
  at::Tensor scale_loss(const at::Tensor& loss) const;
  /// Divides every defined gradient by the scale in place; true when all of them are finite. One host sync.
  bool unscale(const std::vector<at::Tensor>& parameters) const;
  /// After a step: backoff on non-finite gradients, growth after growth_interval clean steps.
  void update(bool gradients_finite);

  /// "scale clean_steps", for checkpoints; load_state("") keeps the initial state.
  std::string state() const;
  void load_state(const std::string& text);

 private:
  bool enabled_;
  Options options_;
  double scale_;
  int64_t clean_steps_ = 0;
};

/// Autocast on for the lifetime of the object (for the device's type, in `dtype`); off and its cast cache cleared
/// at the end, so weights cast in one step are never reused after the optimizer changed them.
class AutocastScope {
 public:
  AutocastScope(bool enabled, c10::Device device, at::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  c10::DeviceType type_;  // whose autocast state this scope sets: CUDA's, or else the CPU's
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

/// What one training loop needs for train.amp: autocast's dtype and the gradient scaler (float16 only: bfloat16
/// has float32's range).
struct MixedPrecision {
  MixedPrecision(const config::TrainConfig& config, c10::Device device);
  bool enabled = false;
  at::ScalarType dtype = at::kFloat;
  GradientScaler scaler;
  /// "float32" or "mixed precision (float16 autocast, loss scale 65536)" for the start-up summary.
  std::string describe() const;
};

}  // namespace ssd::runtime
