#pragma once
// How CPU memory is handed out (runtime.allocator). The activations of a training step are hundreds of MiB that
// are allocated and freed every step; with glibc's defaults each large block is mapped afresh and faults in 4 KiB
// page by page every step, which on virtual machines cost more time than the convolutions (docs/benchmarks/speed.md).
//   huge_pages  LibTorch tensors of 32 MiB and more (those glibc would map afresh) get their own mapping, aligned
//               to 2 MiB and advised to use transparent huge pages (512 times fewer faults), returned to the kernel
//               when freed; smaller ones come from glibc's heap: the default
//   keep        glibc without per-block mappings: freed memory stays in the process for the next step (no faults
//               after the first step, but fragmentation raises the peak resident memory)
//   glibc       glibc's behaviour (blocks over 32 MiB mapped and returned one by one)
#include <string>

namespace ssd::engine {

/// Sets the process's CPU allocation strategy (engine::apply_runtime calls it). Tensors allocated before keep the
/// deleter they were made with, so a late call is safe; ConfigError on an unknown name.
void use_cpu_allocator(const std::string& name);

}  // namespace ssd::engine
