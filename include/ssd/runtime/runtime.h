#pragma once
// Device choice, CPU threads and seeding: the runtime.* section.
#include <cstdint>
#include <string>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/model/ssd.h"

namespace ssd::runtime {

/// "auto" -> cuda:0 when CUDA is available, else cpu; "cuda" / "cuda:N" must exist (ConfigError otherwise).
c10::Device resolve_device(const std::string& name);

/// The cores this process may use: the machine's, or its fair share when several processes of a distributed run share
/// the machine (set_processes_on_machine), so that they do not oversubscribe it. At least 1.
int cores_for_process();
/// How many processes of the run share this machine (LOCAL_WORLD_SIZE); 1 by default.
void set_processes_on_machine(int processes);

/// Sets LibTorch's intra-op threads (0 = cores_for_process(); LibTorch alone may start with one). Returns the count.
int configure_threads(int64_t threads);

/// Seeds LibTorch's CPU and CUDA generators.
void seed_everything(uint64_t seed);

/// runtime.memory_format for a model on `device`: auto is channels_last on the CPU (oneDNN's fast layout) and on
/// CUDA when `amp` is on (tensor cores), contiguous otherwise.
at::MemoryFormat resolve_memory_format(const std::string& name, c10::Device device, bool amp);
/// "channels_last" or "contiguous", as runtime.memory_format spells them (for logs and bench output).
std::string memory_format_name(at::MemoryFormat format);

/// Moves the model to `device` and lays its weights out in `memory_format` (runtime.memory_format; its auto depends on
/// train.amp). Every tool calls it once its weights are loaded.
void place_model(model::SsdImpl& model, const std::string& memory_format, bool amp, c10::Device device);

/// Applies the whole section (allocator, device, threads, seed, cudnn_benchmark); returns "device: cpu, threads: 2" for the start-up summary.
/// `local_rank`: in a distributed run on CUDA, the process's GPU on its machine (runtime.device auto or cuda means
/// cuda:<local_rank>).
std::string apply_runtime(const config::RuntimeConfig& config, c10::Device* device_out, int local_rank = 0);

}  // namespace ssd::runtime
