#pragma once
// How CPU memory is handed out (runtime.allocator). The activations of a training step are hundreds of MiB that
// are allocated and freed every step; with glibc's defaults each large block is mapped afresh and faults in 4 KiB
// page by page every step, which on virtual machines cost more time than the convolutions (docs/benchmarks/speed.md).
//   huge_pages  LibTorch tensors of 4 MiB and more get their own mapping, aligned to 2 MiB and advised to use
//               transparent huge pages (512 times fewer faults); a freed one is kept for the next tensor it can
//               hold (the smallest that fits, split when larger; freed neighbours merge), and the oldest are
//               returned to the kernel so that the mapped total never exceeds the most ever in use at once plus
//               kLargeBlockSlack; smaller tensors come from glibc's heap.
//               The default
//   keep        glibc without per-block mappings: freed memory stays in the process for the next step (no faults
//               after the first step, but fragmentation raises the peak resident memory)
//   glibc       glibc's behaviour (blocks over 32 MiB mapped and returned one by one)
#include <cstddef>
#include <string>

namespace ssd::runtime {

/// How far huge_pages' mapped total may exceed the most ever in use at once. Without it a step whose transient
/// buffers come in other sizes than the last step's pieces (oneDNN's backward asks for an 18 MiB one where two
/// 14 MiB blocks are free in SSD-Lite training at batch 2) maps and zeroes them afresh every step; 32 MiB of slack
/// removed all of them there (docs/benchmarks/findings.md, section 1).
inline constexpr size_t kLargeBlockSlack = size_t{32} << 20;

/// huge_pages' large blocks, in bytes and counts since the process started.
struct LargeBlockStats {
  size_t live = 0;        ///< held by tensors now
  size_t cached = 0;      ///< freed, kept mapped for reuse
  size_t high_water = 0;  ///< the most ever live at once; live + cached never exceeds it + kLargeBlockSlack
  size_t mapped = 0;      ///< fresh mappings made
  size_t reused = 0;      ///< requests served from the freed blocks
};
LargeBlockStats large_block_stats();

/// Sets the process's CPU allocation strategy (runtime::apply_runtime calls it). Tensors allocated before keep the
/// deleter they were made with, so a late call is safe; ConfigError on an unknown name.
void use_cpu_allocator(const std::string& name);

}  // namespace ssd::runtime
