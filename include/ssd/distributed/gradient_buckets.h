#pragma once
// Data-parallel gradients: after each process's backward pass, every parameter's gradient is summed over the
// processes, so that every process takes the same optimizer step. The gradients go in flat buckets of about
// distributed.bucket_mb (parameters in reverse order of registration, roughly the order backward produces them), one
// all-reduce per bucket: a few large messages instead of one per parameter, as torch's DistributedDataParallel does.
//
// With `overlap` (distributed.overlap), a gradient hook copies each parameter's gradient into its bucket as backward
// produces it, and a bucket's all-reduce starts as soon as it is full, while backward goes on with the earlier layers.
// Buckets start in the same order in every process (a bucket waits for the ones before it), as collectives must.
//
// Sum, not mean: each process's loss is already divided by the whole batch's N (loss/detection_loss.h), so the sum
// is the gradient of the single-process loss of the whole batch.
#include <functional>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/distributed/communicator.h"

namespace ssd::distributed {

class GradientBuckets {
 public:
  /// `parameters`: those that train (requires_grad). bucket_mb 0: one bucket per parameter.
  GradientBuckets(std::vector<at::Tensor> parameters, double bucket_mb, std::shared_ptr<const Communicator> communicator,
                  bool overlap = false);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  /// Before a backward pass whose gradients will be summed (overlap: the hooks fill the buckets only then).
  void begin_step();
  /// After the backward pass: sums every parameter's gradient over the processes, in place. A parameter without a
  /// gradient in this process (not reached by its backward pass) takes part with zeros and receives the sum.
  void sum_gradients();

  size_t bucket_count() const { return buckets_.size(); }
  /// Seconds spent in sum_gradients since construction (what the step waits for after backward), for ssd-bench.
  double seconds() const { return seconds_; }

 private:
  struct Bucket {
    std::vector<size_t> members;  ///< indices into parameters_
    std::vector<int64_t> offsets; ///< of each member in `flat`
    at::Tensor flat;              ///< their gradients, one after the other
    size_t filled = 0;            ///< members whose gradient is in `flat` this step
    std::function<void()> wait;   ///< set once its sum has started this step
  };
  void on_gradient(size_t parameter, const at::Tensor& grad);
  void fill(Bucket& b, size_t member, const at::Tensor* grad);
  void start_ready_buckets(bool all);

  std::vector<at::Tensor> parameters_;
  std::vector<std::pair<size_t, size_t>> place_;  ///< each parameter's bucket and member index
  std::vector<std::vector<bool>> present_;        ///< per bucket, per member: filled this step
  std::vector<Bucket> buckets_;
  std::shared_ptr<const Communicator> communicator_;
  bool overlap_ = false, in_step_ = false;
  size_t next_to_start_ = 0;
  std::vector<unsigned> hooks_;
  double seconds_ = 0;
};

}  // namespace ssd::distributed
