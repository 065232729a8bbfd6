#include "ssd/runtime/runtime.h"

#include <c10/core/impl/VirtualGuardImpl.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <thread>

#include "ssd/runtime/cpu_allocator.h"
#include "ssd/util/error.h"

namespace ssd::runtime {

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

namespace {
int g_processes_on_machine = 1;
}  // namespace

void set_processes_on_machine(int processes) { g_processes_on_machine = std::max(1, processes); }

int cores_for_process() { return std::max(1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) / g_processes_on_machine); }

int configure_threads(int64_t threads) {
  const int n = threads > 0 ? static_cast<int>(threads) : cores_for_process();
  at::set_num_threads(n);
  return at::get_num_threads();
}

void seed_everything(uint64_t seed) { torch::manual_seed(seed); }

at::MemoryFormat resolve_memory_format(const std::string& name, c10::Device device, bool amp) {
  if (name == "channels_last") return at::MemoryFormat::ChannelsLast;
  if (name == "contiguous") return at::MemoryFormat::Contiguous;
  if (name != "auto") throw ConfigError("runtime.memory_format: '" + name + "' is not one of auto, channels_last, contiguous");
  // CPU: oneDNN's convolutions run faster on channels-last tensors (the layout table of docs/benchmarks/speed.md).
  // CUDA: channels-last pays with tensor cores (half precision); float32 convolutions keep cuDNN's NCHW kernels.
  if (device.is_cpu() || amp) return at::MemoryFormat::ChannelsLast;
  return at::MemoryFormat::Contiguous;
}

std::string memory_format_name(at::MemoryFormat format) {
  return format == at::MemoryFormat::ChannelsLast ? "channels_last" : "contiguous";
}

void place_model(model::SsdImpl& model, const std::string& memory_format, bool amp, c10::Device device) {
  model.to(device);
  model.set_memory_format(resolve_memory_format(memory_format, device, amp));
}

std::string apply_runtime(const config::RuntimeConfig& c, c10::Device* device_out, int local_rank) {
  use_cpu_allocator(c.allocator);
  auto device = resolve_device(c.device);
  // One GPU per process of a distributed run, unless the config names one.
  // (When each process sees one GPU only, as with Slurm's --gpus-per-task, that one.)
  if (device.is_cuda() && local_rank > 0 && (c.device == "auto" || c.device == "cuda") && local_rank < static_cast<int>(torch::cuda::device_count()))
    device = resolve_device("cuda:" + std::to_string(local_rank));
  // The current device too: pinned memory, NCCL and cuDNN's handles would otherwise open a context on GPU 0 in every process.
  if (device.is_cuda() && device.has_index()) c10::impl::VirtualGuardImpl(device.type()).setDevice(device);
  // A no-op without CUDA; with it, SSD's fixed input shapes make the one-off timing worth it.
  at::globalContext().setBenchmarkCuDNN(c.cudnn_benchmark);
  const int threads = configure_threads(c.threads);
  seed_everything(static_cast<uint64_t>(c.seed));
  if (device_out) *device_out = device;
  return "device: " + device.str() + ", threads: " + std::to_string(threads) + ", seed: " + std::to_string(c.seed);
}

}  // namespace ssd::runtime
