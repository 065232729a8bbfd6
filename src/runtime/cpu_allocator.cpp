#include "ssd/runtime/cpu_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <torch/version.h>
#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "ssd/util/error.h"

namespace ssd::runtime {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// Blocks of 4 MiB and more get mappings of their own. Freed ones are kept for the next request that fits (a
// training step asks for the same sizes every time), so a step faults nothing in after the first; without that
// reuse, mapping the 4-32 MiB activations afresh each step halved the demo's training speed, and leaving them to
// glibc's heap fragmented it (peak memory 20% over torchvision's).
constexpr size_t kLargeBlock = size_t{4} << 20;

struct FreeBlock {
  void* ptr;
  size_t size;
};

// All under one mutex. Invariant: live + cached <= high_water + kLargeBlockSlack, where high_water is the most
// large-block memory ever in use at once, so the cache raises the peak by at most the slack above what freeing at
// once would have reached.
struct LargeBlocks {
  std::mutex mutex;
  std::unordered_map<void*, size_t> live_blocks;  // by address, for the deleter (which receives the address only)
  std::vector<FreeBlock> cached;                  // oldest first
  LargeBlockStats stats;
};

LargeBlocks& large() {
  static auto* blocks = new LargeBlocks();  // never destroyed: tensors may outlive main
  return *blocks;
}

void* map_fresh(size_t size) {
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
  return block;
}

void* map_large(size_t bytes) {
  const size_t size = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  auto& L = large();
  std::vector<FreeBlock> evicted;
  {
    std::lock_guard<std::mutex> lock(L.mutex);
    auto& st = L.stats;
    st.live += size;
    st.high_water = std::max(st.high_water, st.live);
    // The smallest freed block that fits, the most recently freed among equals (its pages are resident and likely
    // still in cache). A larger one is split: the request takes its head and the tail stays cached, so no memory
    // is added. Without the split, a forward pass (each layer's output a new size, few alive at once) mapped
    // nearly every activation afresh: the VGG16 forward at batch 8 took 10% longer than with glibc's heap.
    size_t best = L.cached.size();
    for (size_t i = L.cached.size(); i-- > 0;) {
      const size_t s = L.cached[i].size;
      if (s >= size && (best == L.cached.size() || s < L.cached[best].size)) best = i;
    }
    if (best < L.cached.size()) {
      const FreeBlock found = L.cached[best];
      if (found.size == size) {
        L.cached.erase(L.cached.begin() + static_cast<std::ptrdiff_t>(best));
      } else {
        L.cached[best] = {static_cast<char*>(found.ptr) + size, found.size - size};  // sizes are whole huge pages
      }
      st.cached -= size;
      ++st.reused;
      L.live_blocks[found.ptr] = size;
      return found.ptr;
    }
    // A new mapping: first give back the oldest cached blocks until it fits under the high-water mark and slack.
    size_t drop = 0;
    while (drop < L.cached.size() && st.live + st.cached > st.high_water + kLargeBlockSlack)
      st.cached -= L.cached[drop++].size;
    evicted.assign(L.cached.begin(), L.cached.begin() + static_cast<std::ptrdiff_t>(drop));
    L.cached.erase(L.cached.begin(), L.cached.begin() + static_cast<std::ptrdiff_t>(drop));
    ++st.mapped;
  }
  for (const auto& b : evicted) munmap(b.ptr, b.size);
  void* block = nullptr;
  try {
    block = map_fresh(size);
  } catch (...) {
    std::lock_guard<std::mutex> lock(L.mutex);
    L.stats.live -= size;
    throw;
  }
  std::lock_guard<std::mutex> lock(L.mutex);
  L.live_blocks[block] = size;
  return block;
}

void release(void* ptr) {
  // Only 2 MiB-aligned addresses can be large blocks: the many small frees do not take the lock.
  if (ptr != nullptr && (reinterpret_cast<uintptr_t>(ptr) & (kHugePage - 1)) == 0) {
    auto& L = large();
    std::lock_guard<std::mutex> lock(L.mutex);
    const auto it = L.live_blocks.find(ptr);
    if (it != L.live_blocks.end()) {
      const size_t size = it->second;
      L.live_blocks.erase(it);
      L.stats.live -= size;
      L.stats.cached += size;  // live + cached unchanged: the invariant holds
      // Merged with freed neighbours, so that the pieces of a split block become one again: otherwise a step
      // that asks for the large size once more (the first layers' activations) finds only pieces, maps it afresh
      // and zeroes its pages (SSD-Lite training at batch 2: 25 page faults per step that way, 6 with the merge).
      FreeBlock merged{ptr, size};
      for (size_t i = L.cached.size(); i-- > 0;) {
        const FreeBlock b = L.cached[i];
        const bool before = static_cast<char*>(b.ptr) + b.size == merged.ptr;
        const bool after = static_cast<char*>(merged.ptr) + merged.size == b.ptr;
        if (!before && !after) continue;
        merged = {before ? b.ptr : merged.ptr, merged.size + b.size};
        L.cached.erase(L.cached.begin() + static_cast<std::ptrdiff_t>(i));
      }
      L.cached.push_back(merged);
      return;
    }
  }
  c10::free_cpu(ptr);
}

// LibTorch 2.3 made c10::Allocator::allocate non-const and added copy_data (pure virtual); 1.13 has neither.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define SSD_ALLOCATE_CONST
#define SSD_ALLOCATOR_COPIES
#else
#define SSD_ALLOCATE_CONST const
#endif

class HugePageAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t bytes) SSD_ALLOCATE_CONST override {
    void* ptr = bytes >= kLargeBlock ? map_large(bytes) : c10::alloc_cpu(bytes);
    return {ptr, ptr, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
#ifdef SSD_ALLOCATOR_COPIES
  void copy_data(void* dest, const void* src, size_t count) const override { default_copy_data(dest, src, count); }
#endif
};

// glibc: blocks over 32 MiB (its ceiling for this setting) get their own mapping, freed memory over 1 GiB at the
// top of the heap goes back to the kernel.
void glibc_defaults() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace

LargeBlockStats large_block_stats() {
  auto& L = large();
  std::lock_guard<std::mutex> lock(L.mutex);
  return L.stats;
}

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

}  // namespace ssd::runtime
