#include "ssd/kernels/relu6.h"

#include <ATen/ATen.h>

namespace ssd::kernels {

at::Tensor ReLU6Impl::forward(at::Tensor x) {
  if (x.is_cpu() && x.scalar_type() == at::kBFloat16) return at::clamp(x, 0, 6);
  return at::hardtanh_(x, 0, 6);  // in place, like torchvision's ReLU6(inplace=True)
}

}  // namespace ssd::kernels
