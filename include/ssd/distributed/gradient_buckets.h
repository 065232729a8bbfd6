#pragma once
// Data-parallel gradients: after each process's backward pass, every parameter's gradient is summed over the
// processes, so that every process takes the same optimizer step. The gradients go in flat buckets of about
// distributed.bucket_mb (parameters in reverse order of registration, roughly the order backward produces them), one
// all-reduce per bucket: a few large messages instead of one per parameter, as torch's DistributedDataParallel does.
//
// Sum, not mean: each process's loss is already divided by the whole batch's N (loss/detection_loss.h), so the sum
// is the gradient of the single-process loss of the whole batch.
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/distributed/communicator.h"

namespace ssd::distributed {

class GradientBuckets {
 public:
  /// `parameters`: those that train (requires_grad). bucket_mb 0: one bucket per parameter.
  GradientBuckets(std::vector<at::Tensor> parameters, double bucket_mb, std::shared_ptr<const Communicator> communicator);

  /// Sums every parameter's gradient over the processes, in place. A parameter without a gradient in this process
  /// (not reached by its backward pass) takes part with zeros and receives the sum.
  void sum_gradients();

  size_t bucket_count() const { return buckets_.size(); }
  /// Seconds spent in sum_gradients since construction (copies and all-reduces), for ssd-bench.
  double seconds() const { return seconds_; }

 private:
  struct Bucket {
    std::vector<size_t> members;  ///< indices into parameters_
    at::Tensor flat;              ///< their gradients, one after the other
  };
  std::vector<at::Tensor> parameters_;
  std::vector<Bucket> buckets_;
  std::shared_ptr<const Communicator> communicator_;
  double seconds_ = 0;
};

}  // namespace ssd::distributed
