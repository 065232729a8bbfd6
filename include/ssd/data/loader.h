#pragma once
// Batches from a data set, prepared by worker threads into a bounded queue, delivered in a fixed order.
// Determinism: the epoch's order is a permutation seeded by (seed, epoch) and every sample's augmentation
// draws from a generator seeded by (seed, epoch, index), so a batch is the same whichever thread made it,
// and a run resumed at batch k of an epoch sees exactly the batches it would have seen. In distributed training
// each process loads its share of every batch (LoaderOptions::rank).
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/data/augment.h"
#include "ssd/data/batch.h"
#include "ssd/data/dataset.h"

namespace ssd::data {

struct LoaderOptions {
  int64_t batch_size = 32;
  int64_t workers = 0;      ///< 0 = every core (this process's share of them: runtime::cores_for_process)
  bool shuffle = true;
  bool drop_last = true;    ///< training drops the last incomplete batch; evaluation keeps it
  uint64_t seed = 1;
  int64_t prefetch = 0;     ///< batches prepared ahead; 0 = 2 per worker
  /// Stack each batch's images into page-locked host memory, so that the copy to a CUDA device can run
  /// asynchronously (to(device, non_blocking)). Needs a LibTorch with CUDA; the trainer sets it on CUDA.
  bool pin_memory = false;
  /// A sample that fails to load is replaced by the next good one of the epoch's order, so that a bad image never
  /// shrinks a training batch (a batch of one stops batch norm). Evaluation turns it off: each image counts once.
  bool refill = true;
  /// Distributed training: this process's share of every batch. batch_size stays the whole batch; the process of
  /// rank r takes the places r, r + world_size, ... of each batch in the epoch's order, so that the shares together
  /// are the batch one process would load. A failed sample is replaced from after the batch at the places
  /// r, r + world_size, ... too (no two processes take the same replacement).
  int rank = 0;
  int world_size = 1;
  /// Distributed evaluation: this process delivers only the batches first_batch, first_batch + batch_stride, ... of
  /// each epoch (whole batches, the same as one process would make), and the processes gather the results.
  int64_t first_batch = 0;
  int64_t batch_stride = 1;
};

using PrepareFn = std::function<Prepared(const Sample&, std::mt19937_64&)>;

/// Batches in an epoch of `images` in batches of batch_size (the last incomplete one dropped with drop_last).
int64_t batches_per_epoch(int64_t images, int64_t batch_size, bool drop_last);

class DataLoader {
 public:
  DataLoader(const DetectionDataset& dataset, LoaderOptions options, PrepareFn prepare);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  int64_t workers() const { return workers_; }
  /// Starts delivering the batches of `epoch` from batch `first_batch` on (to resume mid-epoch).
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  /// The next batch of the epoch in order, or nullopt at its end. Samples that fail to load are skipped and
  /// counted in the data set's SkipReport (with data.strict the DataError is rethrown here).
  std::optional<Batch> next();
  /// Seconds next() has spent waiting for workers since the loader was made (readers take differences).
  double wait_seconds();
  /// Stops the workers (they are restarted by start_epoch).
  void stop();

 private:
  void work();
  Batch make_batch(int64_t k);

  const DetectionDataset& dataset_;
  LoaderOptions options_;
  PrepareFn prepare_;
  int64_t workers_;
  int64_t epoch_ = 0;
  std::vector<size_t> order_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<int64_t, Batch> ready_;
  std::exception_ptr error_;
  int64_t next_to_make_ = 0, next_to_deliver_ = 0, end_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  double wait_seconds_ = 0;
};

}  // namespace ssd::data
