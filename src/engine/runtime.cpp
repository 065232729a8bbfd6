#include "ssd/engine/runtime.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <thread>

#include "ssd/engine/cpu_allocator.h"
#include "ssd/util/error.h"

namespace ssd::engine {

c10::Device resolve_device(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  const bool have_cuda = torch::cuda::is_available();
  if (name == "auto") return have_cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (!have_cuda)
    throw ConfigError("runtime.device: '" + name +
                      "' requested, but no CUDA device is available (or this LibTorch has no CUDA); use cpu or auto");
  const c10::Device device(name);
  const auto count = static_cast<int64_t>(torch::cuda::device_count());
  if (device.has_index() && device.index() >= count)
    throw ConfigError("runtime.device: '" + name + "' requested, but only " + std::to_string(count) +
                      " CUDA device(s) exist (cuda:0 .. cuda:" + std::to_string(count - 1) + ")");
  return device;
}

int configure_threads(int64_t threads) {
  const int n = threads > 0 ? static_cast<int>(threads) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  return at::get_num_threads();
}

void seed_everything(uint64_t seed) { torch::manual_seed(seed); }

std::string apply_runtime(const config::RuntimeConfig& c, c10::Device* device_out) {
  use_cpu_allocator(c.allocator);
  const auto device = resolve_device(c.device);
  const int threads = configure_threads(c.threads);
  seed_everything(static_cast<uint64_t>(c.seed));
  if (device_out) *device_out = device;
  return "device: " + device.str() + ", threads: " + std::to_string(threads) + ", seed: " + std::to_string(c.seed);
}

}  // namespace ssd::engine
