#include "ssd/engine/cpu_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <malloc.h>
#include <sys/mman.h>

#include <cstdint>
#include <limits>
#include <mutex>
#include <new>
#include <unordered_map>

#include "ssd/util/error.h"

namespace ssd::engine {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// Below glibc's largest mmap threshold (32 MiB, set in glibc_defaults) blocks come from its heap and are reused
// without faults; only the larger ones, which glibc would map afresh in 4 KiB pages, get huge-page mappings. (A
// 4 MiB bound mapped the 4-32 MiB activations afresh too: the demo's SSD-Lite trained at half its speed.)
constexpr size_t kLargeBlock = size_t{32} << 20;

// Large blocks by address, for the deleter (which receives the address only). Only 2 MiB-aligned addresses are
// looked up, so the many small frees do not take the lock.
std::mutex large_mutex;
std::unordered_map<void*, size_t>& large_blocks() {
  static auto* blocks = new std::unordered_map<void*, size_t>();  // never destroyed: tensors may outlive main
  return *blocks;
}

void* map_large(size_t bytes) {
  const size_t size = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  // One huge page more than needed, so that a 2 MiB-aligned range of `size` lies inside; the slack is unmapped.
  void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const size_t tail = kHugePage - (aligned - start);
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
  void* block = reinterpret_cast<void*>(aligned);
  madvise(block, size, MADV_HUGEPAGE);  // advice only: without transparent huge pages it is a plain mapping
  std::lock_guard<std::mutex> lock(large_mutex);
  large_blocks()[block] = size;
  return block;
}

void release(void* ptr) {
  if (ptr != nullptr && (reinterpret_cast<uintptr_t>(ptr) & (kHugePage - 1)) == 0) {
    size_t size = 0;
    {
      std::lock_guard<std::mutex> lock(large_mutex);
      const auto it = large_blocks().find(ptr);
      if (it != large_blocks().end()) {
        size = it->second;
        large_blocks().erase(it);
      }
    }
    if (size > 0) {
      munmap(ptr, size);
      return;
    }
  }
  c10::free_cpu(ptr);
}

class HugePageAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t bytes) const override {
    void* ptr = bytes >= kLargeBlock ? map_large(bytes) : c10::alloc_cpu(bytes);
    return {ptr, ptr, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
};

// glibc: blocks over 32 MiB (its ceiling for this setting) get their own mapping, freed memory over 1 GiB at the
// top of the heap goes back to the kernel.
void glibc_defaults() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace

void use_cpu_allocator(const std::string& name) {
  if (name == "huge_pages") {
    glibc_defaults();  // for what LibTorch does not allocate (OpenCV images, small tensors)
    static HugePageAllocator allocator;
    c10::SetCPUAllocator(&allocator, /*priority=*/1);  // above LibTorch's own default (0)
  } else if (name == "keep") {
    // No block gets a mapping of its own (M_MMAP_MAX 0: a threshold alone cannot go above 32 MiB), and the heap
    // keeps up to 2 GiB of freed memory at its top for the next step instead of returning it.
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
    mallopt(M_TOP_PAD, 64 << 20);
  } else if (name == "glibc") {
    glibc_defaults();
  } else {
    throw ConfigError("runtime.allocator: unknown allocator '" + name + "'; available: huge_pages, keep, glibc");
  }
}

}  // namespace ssd::engine
