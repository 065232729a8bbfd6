#pragma once
// Device choice, CPU threads and seeding: the runtime.* section.
#include <cstdint>
#include <string>

#include <c10/core/Device.h>

#include "ssd/config/config.h"

namespace ssd::engine {

/// "auto" -> cuda:0 when CUDA is available, else cpu; "cuda" / "cuda:N" must exist (ConfigError otherwise).
c10::Device resolve_device(const std::string& name);

/// Sets LibTorch's intra-op threads (0 = every core; LibTorch alone may start with one). Returns the count.
int configure_threads(int64_t threads);

/// Seeds LibTorch's CPU and CUDA generators.
void seed_everything(uint64_t seed);

/// Applies the whole section; returns "device: cpu, threads: 2" for the start-up summary.
std::string apply_runtime(const config::RuntimeConfig& config, c10::Device* device_out);

}  // namespace ssd::engine
