#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cstdint>

#include "ssd/runtime/cpu_allocator.h"
#include "ssd/util/error.h"
#include "test_support.h"

namespace ssd::runtime {
namespace {

constexpr int64_t MiB = 1 << 20;

// A freed block larger than any freed before (those are at most the high-water mark), so that the requests a test
// makes next can only be served from it; returns its address and size.
char* fresh_freed_block(int64_t* whole) {
  use_cpu_allocator("huge_pages");
  *whole = static_cast<int64_t>(large_block_stats().high_water >> 21) * 2 * MiB + 32 * MiB;
  auto t = at::empty({*whole}, at::kByte);
  return static_cast<char*>(t.data_ptr());
}

// huge_pages (the default of runtime.allocator) serves large tensors from 2 MiB-aligned mappings of their own and
// small ones from LibTorch's aligned malloc; both hold data and free cleanly, also tensors made before the switch.
TEST(CpuAllocator, HugePagesServesLargeAndSmallTensors) {
  const auto before = at::arange(1000, at::kFloat);
  use_cpu_allocator("huge_pages");
  auto large = at::empty({12, 1024, 1024}, at::kFloat);  // 48 MiB
  EXPECT_EQ(reinterpret_cast<uintptr_t>(large.data_ptr()) % (2u << 20), 0u);
  large.fill_(2.5f);
  EXPECT_EQ(large.sum().item<double>(), 2.5 * 12 * 1024 * 1024);
  auto small = at::full({100}, 3.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.data_ptr()) % 64, 0u);  // LibTorch's alignment
  EXPECT_EQ(small.sum().item<float>(), 300.f);
  for (int i = 0; i < 20; ++i) large = at::ones({10, 1024, 1024}) * i;  // 40 MiB blocks, freed and reused
  EXPECT_EQ(large[9][1023][1023].item<float>(), 19.f);
  EXPECT_EQ(before.sum().item<float>(), 499500.f);
}

// A freed large block serves the next request of its size (no new mapping, no page faults), and the blocks kept
// for reuse never push the mapped total above the most ever in use at once plus the slack.
TEST(CpuAllocator, HugePagesReusesFreedBlocksUnderTheHighWaterMark) {
  use_cpu_allocator("huge_pages");
  void* first = nullptr;
  {
    auto t = at::empty({3, 1024, 1024}, at::kFloat);  // 12 MiB
    first = t.data_ptr();
  }
  const auto before = large_block_stats();
  {
    auto again = at::empty({3, 1024, 1024}, at::kFloat);
    EXPECT_EQ(again.data_ptr(), first);
  }
  auto after = large_block_stats();
  EXPECT_EQ(after.mapped, before.mapped);
  EXPECT_EQ(after.reused, before.reused + 1);
  // Growing sizes, each above every block freed so far: each needs a new mapping, and the older free blocks are
  // returned to stay under the mark and slack.
  const int64_t above = static_cast<int64_t>(after.high_water >> 20) + 2;
  for (int64_t mib = above; mib <= above + 48; mib += 8) {
    auto t = at::empty({mib, 1024, 1024}, at::kByte);
    const auto s = large_block_stats();
    EXPECT_LE(s.live + s.cached, s.high_water + kLargeBlockSlack);
  }
  after = large_block_stats();
  EXPECT_LE(after.live + after.cached, after.high_water + kLargeBlockSlack);
  EXPECT_GE(after.mapped, before.mapped + 7);
}

// A freed block larger than a request is split: the request takes its head, the tail stays for the next one, so
// tensors of new sizes (a forward pass's activations) come without new mappings and without more memory.
TEST(CpuAllocator, HugePagesSplitsAFreedBlockForSmallerRequests) {
  int64_t whole = 0;
  char* base = fresh_freed_block(&whole);
  const auto before = large_block_stats();
  auto head = at::empty({whole - 10 * MiB}, at::kByte);
  auto tail = at::empty({10 * MiB}, at::kByte);
  EXPECT_EQ(head.data_ptr(), base);
  EXPECT_EQ(tail.data_ptr(), base + (whole - 10 * MiB));
  const auto after = large_block_stats();
  EXPECT_EQ(after.mapped, before.mapped);
  EXPECT_EQ(after.reused, before.reused + 2);
  EXPECT_EQ(after.high_water, before.high_water);
  EXPECT_LE(after.live + after.cached, after.high_water + kLargeBlockSlack);
  head.fill_(1);
  tail.fill_(2);  // written after the head: the two do not overlap
  EXPECT_EQ(head[-1].item<int64_t>(), 1);
  EXPECT_EQ(tail[0].item<int64_t>(), 2);
}

// The pieces of a split block, once both are freed, are one block again: the next request for the whole size is
// served without a new mapping (a training step asks for its largest activations again after smaller ones).
TEST(CpuAllocator, HugePagesMergesFreedNeighboursBackIntoOneBlock) {
  int64_t whole = 0;
  char* base = fresh_freed_block(&whole);
  {
    auto head = at::empty({whole - 10 * MiB}, at::kByte);
    auto tail = at::empty({10 * MiB}, at::kByte);
    ASSERT_EQ(tail.data_ptr(), base + (whole - 10 * MiB));
  }
  const auto before = large_block_stats();
  auto again = at::empty({whole}, at::kByte);
  EXPECT_EQ(again.data_ptr(), base);
  const auto after = large_block_stats();
  EXPECT_EQ(after.mapped, before.mapped);
  EXPECT_EQ(after.reused, before.reused + 1);
  EXPECT_LE(after.live + after.cached, after.high_water + kLargeBlockSlack);
  again.fill_(3);
  EXPECT_EQ(again[-1].item<int64_t>(), 3);
}

TEST(CpuAllocator, UnknownNameIsAConfigError) {
  EXPECT_EQ(test::thrown_message<ConfigError>([] { use_cpu_allocator("jemalloc"); }),
            "runtime.allocator: unknown allocator 'jemalloc'; available: huge_pages, keep, glibc");
}

}  // namespace
}  // namespace ssd::runtime
