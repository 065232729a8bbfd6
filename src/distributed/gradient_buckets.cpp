#include "ssd/distributed/gradient_buckets.h"

#include <ATen/ATen.h>

#include <chrono>

namespace ssd::distributed {

GradientBuckets::GradientBuckets(std::vector<at::Tensor> parameters, double bucket_mb, std::shared_ptr<const Communicator> communicator)
    : parameters_(std::move(parameters)), communicator_(std::move(communicator)) {
  const auto limit = static_cast<size_t>(bucket_mb * 1024 * 1024);
  std::vector<size_t> bytes;  // of each bucket so far
  // Reverse order: the last layers' gradients are ready first.
  for (size_t i = parameters_.size(); i-- > 0;) {
    const auto& p = parameters_[i];
    const bool fits = !buckets_.empty() && limit > 0 && parameters_[buckets_.back().members.front()].options().type_equal(p.options()) &&
                      parameters_[buckets_.back().members.front()].device() == p.device() &&
                      bytes.back() + p.nbytes() <= limit;
    if (!fits) {
      buckets_.emplace_back();
      bytes.push_back(0);
    }
    buckets_.back().members.push_back(i);
    bytes.back() += p.nbytes();
  }
  for (auto& b : buckets_) {
    int64_t n = 0;
    for (size_t i : b.members) n += parameters_[i].numel();
    b.flat = at::empty({n}, parameters_[b.members.front()].options().requires_grad(false));
  }
}

void GradientBuckets::sum_gradients() {
  if (communicator_->alone()) return;
  const auto start = std::chrono::steady_clock::now();
  at::NoGradGuard no_grad;
  for (auto& b : buckets_) {
    int64_t offset = 0;
    for (size_t i : b.members) {
      const auto& p = parameters_[i];
      auto slot = b.flat.narrow(0, offset, p.numel());
      if (p.grad().defined())
        slot.view(p.sizes()).copy_(p.grad());
      else
        slot.zero_();
      offset += p.numel();
    }
    std::vector<at::Tensor> one{b.flat};
    communicator_->sum(one, "the gradient sum");
    offset = 0;
    for (size_t i : b.members) {
      auto& p = parameters_[i];
      const auto summed = b.flat.narrow(0, offset, p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(summed);
      else
        p.mutable_grad() = summed.clone();
      offset += p.numel();
    }
  }
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace ssd::distributed
