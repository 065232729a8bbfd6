#include "ssd/distributed/gradient_buckets.h"

#include <ATen/ATen.h>

#include <chrono>
#include <stdexcept>

namespace ssd::distributed {

GradientBuckets::GradientBuckets(std::vector<at::Tensor> parameters, double bucket_mb, std::shared_ptr<const Communicator> communicator,
                                 bool overlap)
    : parameters_(std::move(parameters)), communicator_(std::move(communicator)), overlap_(overlap) {
  const auto limit = static_cast<size_t>(bucket_mb * 1024 * 1024);
  std::vector<size_t> bytes;  // of each bucket so far
  place_.resize(parameters_.size());
  // Reverse order: the last layers' gradients are ready first.
  for (size_t i = parameters_.size(); i-- > 0;) {
    const auto& p = parameters_[i];
    const auto& first = buckets_.empty() ? p : parameters_[buckets_.back().members.front()];
    const bool fits = !buckets_.empty() && limit > 0 && first.options().type_equal(p.options()) && first.device() == p.device() &&
                      bytes.back() + p.nbytes() <= limit;
    if (!fits) {
      buckets_.emplace_back();
      bytes.push_back(0);
    }
    place_[i] = {buckets_.size() - 1, buckets_.back().members.size()};
    buckets_.back().members.push_back(i);
    bytes.back() += p.nbytes();
  }
  for (auto& b : buckets_) {
    int64_t n = 0;
    for (size_t i : b.members) b.offsets.push_back(n), n += parameters_[i].numel();
    // A process alone sums nothing: no buffers (they would double the gradients' memory for nothing).
    if (!communicator_->alone()) b.flat = at::empty({n}, parameters_[b.members.front()].options().requires_grad(false));
    present_.emplace_back(b.members.size(), false);
  }
  if (overlap_ && !communicator_->alone())
    for (size_t i = 0; i < parameters_.size(); ++i)
      hooks_.push_back(parameters_[i].register_hook([this, i](const at::Tensor& grad) { on_gradient(i, grad); }));
}

GradientBuckets::~GradientBuckets() {
  for (size_t i = 0; i < hooks_.size(); ++i) parameters_[i].remove_hook(hooks_[i]);
}

void GradientBuckets::begin_step() {
  for (size_t k = 0; k < buckets_.size(); ++k) {
    buckets_[k].filled = 0;
    buckets_[k].wait = nullptr;
    present_[k].assign(present_[k].size(), false);
  }
  next_to_start_ = 0;
  in_step_ = true;
}

void GradientBuckets::fill(Bucket& b, size_t member, const at::Tensor* grad) {
  const auto& p = parameters_[b.members[member]];
  auto slot = b.flat.narrow(0, b.offsets[member], p.numel());
  if (grad != nullptr && grad->defined())
    slot.view(p.sizes()).copy_(*grad);
  else
    slot.zero_();
}

void GradientBuckets::on_gradient(size_t parameter, const at::Tensor& grad) {
  if (!in_step_) return;  // a backward pass that is not a training step's
  const auto [k, member] = place_[parameter];
  auto& b = buckets_[k];
  // The engine sums a leaf's gradients before its hook: a second call in one backward pass would mean a second pass
  // (or gradients not cleared), whose sum the bucket, started already, could not hold.
  if (present_[k][member]) throw std::logic_error("GradientBuckets: a second gradient for one parameter in one step");
  at::NoGradGuard no_grad;
  fill(b, member, &grad);
  present_[k][member] = true;
  ++b.filled;
  start_ready_buckets(/*all=*/false);
}

void GradientBuckets::start_ready_buckets(bool all) {
  // In order: a full bucket waits for the ones before it, so that every process starts the same sums in the same order.
  while (next_to_start_ < buckets_.size() && (all || buckets_[next_to_start_].filled == buckets_[next_to_start_].members.size())) {
    auto& b = buckets_[next_to_start_++];
    b.wait = communicator_->start_sum(b.flat, "the gradient sum");
  }
}

void GradientBuckets::sum_gradients() {
  if (communicator_->alone()) return;
  const auto start = std::chrono::steady_clock::now();
  at::NoGradGuard no_grad;
  if (!overlap_ || !in_step_) begin_step();
  for (size_t k = 0; k < buckets_.size(); ++k) {
    auto& b = buckets_[k];
    if (b.wait) continue;  // started by the hooks
    // What the hooks did not see (no overlap; a parameter backward did not reach): from .grad, or zeros.
    for (size_t m = 0; m < b.members.size(); ++m)
      if (!present_[k][m]) {
        const auto& g = parameters_[b.members[m]].grad();
        fill(b, m, &g);
        present_[k][m] = true;
        ++b.filled;
      }
    start_ready_buckets(/*all=*/false);
  }
  start_ready_buckets(/*all=*/true);
  for (auto& b : buckets_) {
    b.wait();
    for (size_t m = 0; m < b.members.size(); ++m) {
      auto& p = parameters_[b.members[m]];
      const auto summed = b.flat.narrow(0, b.offsets[m], p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(summed);
      else
        p.mutable_grad() = summed.clone();
    }
  }
  in_step_ = false;
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace ssd::distributed
