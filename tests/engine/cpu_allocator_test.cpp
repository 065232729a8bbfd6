#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cstdint>

#include "ssd/engine/cpu_allocator.h"
#include "ssd/util/error.h"
#include "test_support.h"

namespace ssd::engine {
namespace {

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
  for (int i = 0; i < 20; ++i) large = at::ones({10, 1024, 1024}) * i;  // 40 MiB, mapped and unmapped again
  EXPECT_EQ(large[9][1023][1023].item<float>(), 19.f);
  EXPECT_EQ(before.sum().item<float>(), 499500.f);
}

TEST(CpuAllocator, UnknownNameIsAConfigError) {
  EXPECT_EQ(test::thrown_message<ConfigError>([] { use_cpu_allocator("jemalloc"); }),
            "runtime.allocator: unknown allocator 'jemalloc'; available: huge_pages, keep, glibc");
}

}  // namespace
}  // namespace ssd::engine
