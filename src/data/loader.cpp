#include "ssd/data/loader.h"

#include <ATen/ATen.h>

#include <chrono>
#include <opencv2/core/utility.hpp>

#include "ssd/runtime/runtime.h"
#include "ssd/util/check.h"
#include "ssd/util/error.h"

namespace ssd::data {

DataLoader::DataLoader(const DetectionDataset& dataset, LoaderOptions options, PrepareFn prepare)
    : dataset_(dataset), options_(options), prepare_(std::move(prepare)) {
  SSD_CHECK(options_.batch_size >= 1, "DataLoader: expected batch_size >= 1, got ", options_.batch_size);
  SSD_CHECK(options_.world_size >= 1 && options_.rank >= 0 && options_.rank < options_.world_size, "DataLoader: rank ", options_.rank,
            " of ", options_.world_size);
  SSD_CHECK(options_.batch_stride >= 1 && options_.first_batch >= 0, "DataLoader: batch_stride ", options_.batch_stride);
  // The loader parallelises over images; OpenCV's own thread pool inside each worker would only add
  // contention for the same cores (measured: 40% system time from spinning threads).
  cv::setNumThreads(1);
  workers_ = options_.workers > 0 ? options_.workers : runtime::cores_for_process();
  if (options_.prefetch <= 0) options_.prefetch = 2 * workers_;
}

DataLoader::~DataLoader() { stop(); }

int64_t batches_per_epoch(int64_t images, int64_t batch_size, bool drop_last) {
  if (batch_size <= 0) return 0;
  return drop_last ? images / batch_size : (images + batch_size - 1) / batch_size;
}

int64_t DataLoader::batches_per_epoch() const {
  return data::batches_per_epoch(static_cast<int64_t>(dataset_.size()), options_.batch_size, options_.drop_last);
}

void DataLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void DataLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  stop();
  epoch_ = epoch;
  order_.resize(dataset_.size());
  std::iota(order_.begin(), order_.end(), size_t{0});
  if (options_.shuffle) {
    // seed_seq takes 32-bit words: the seed goes in as two halves; the first word tags the stream (0 = order).
    std::seed_seq seq{uint64_t{0}, options_.seed & 0xffffffffu, options_.seed >> 32, static_cast<uint64_t>(epoch)};
    std::mt19937_64 rng(seq);
    std::shuffle(order_.begin(), order_.end(), rng);
  }
  ready_.clear();
  error_ = nullptr;
  stopping_ = false;
  end_ = batches_per_epoch();
  // The first of this process's batches at or after first_batch.
  const int64_t stride = options_.batch_stride, from = std::max(first_batch, options_.first_batch);
  next_to_make_ = next_to_deliver_ = std::min(from + (stride - (from - options_.first_batch) % stride) % stride, end_);
  for (int64_t i = 0; i < workers_; ++i) threads_.emplace_back([this] { work(); });
}

Batch DataLoader::make_batch(int64_t k) {
  Batch batch;
  batch.index_in_epoch = k;
  std::vector<at::Tensor> images;
  // Prepares one sample into the batch; false when it cannot be loaded (skipped and counted, or with data.strict an
  // error).
  auto add = [&](size_t index, std::seed_seq& seq) {
    try {
      std::mt19937_64 rng(seq);
      Prepared p = prepare_(dataset_.load(index), rng);
      images.push_back(p.image);
      batch.boxes.push_back(p.boxes);
      batch.labels.push_back(p.labels);
      batch.indices.push_back(index);
      batch.sizes.emplace_back(p.width, p.height);
      return true;
    } catch (const DataError& e) {
      if (dataset_.strict()) throw;
      dataset_.report().skip(e.what());
      return false;
    }
  };
  const size_t begin = static_cast<size_t>(k * options_.batch_size);
  const size_t end = std::min(order_.size(), begin + static_cast<size_t>(options_.batch_size));
  const auto share = static_cast<size_t>(options_.rank), stride = static_cast<size_t>(options_.world_size);
  for (size_t j = begin + share; j < end; j += stride) {
    const uint64_t index = order_[j];
    // Stream 1: the augmentation of one sample in its own place.
    std::seed_seq seq{uint64_t{1}, options_.seed & 0xffffffffu, options_.seed >> 32, static_cast<uint64_t>(epoch_), index};
    add(order_[j], seq);
  }
  if (options_.refill) {
    // A sample that failed is replaced by the next ones of the epoch's order after this batch (wrapping round), so
    // the batch keeps its size: the same replacements on every run and resume, whatever the workers' timing. A few
    // tries per place, so that a data set of mostly bad files is not decoded over and over.
    const size_t wanted = begin + share < end ? (end - begin - share + stride - 1) / stride : 0, n = order_.size(),
                 tries = std::max<size_t>(16, 4 * wanted);
    for (size_t step = 0; batch.indices.size() < wanted && share + step * stride + (end - begin) < n && step < tries; ++step) {
      const uint64_t index = order_[(end + share + step * stride) % n];
      // Stream 2: a replacement's augmentation, not the copy it gets in its own place.
      std::seed_seq seq{uint64_t{2}, options_.seed & 0xffffffffu, options_.seed >> 32, static_cast<uint64_t>(epoch_), index,
                        static_cast<uint64_t>(k)};
      add(index, seq);
    }
  }
  batch.pending_images = std::move(images);  // stacked by next(), on the consumer's thread (see there)
  return batch;
}

void DataLoader::work() {
  for (;;) {
    int64_t k;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Bounded queue: no more than `prefetch` batches ahead of the consumer.
      cv_.wait(lock, [&] {
        return stopping_ || next_to_make_ >= end_ || next_to_make_ < next_to_deliver_ + options_.prefetch * options_.batch_stride;
      });
      if (stopping_ || next_to_make_ >= end_) return;
      k = next_to_make_;
      next_to_make_ += options_.batch_stride;
    }
    Batch batch;
    std::exception_ptr error;
    try {
      batch = make_batch(k);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error && !error_) error_ = error;
      ready_[k] = std::move(batch);
    }
    cv_.notify_all();
  }
}

std::optional<Batch> DataLoader::next() {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_deliver_ >= end_) return std::nullopt;
  cv_.wait(lock, [&] { return error_ || ready_.count(next_to_deliver_); });
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (error_) std::rethrow_exception(error_);
  Batch batch = std::move(ready_.at(next_to_deliver_));
  ready_.erase(next_to_deliver_);
  next_to_deliver_ += options_.batch_stride;
  lock.unlock();
  cv_.notify_all();
  // Stacking uses ATen's parallel copy: done here, on the training thread, so that loader threads never
  // start OpenMP regions of their own (which would oversubscribe the cores).
  if (!batch.pending_images.empty()) {
    if (options_.pin_memory) {
      const auto& first = batch.pending_images.front();
      std::vector<int64_t> shape{static_cast<int64_t>(batch.pending_images.size())};
      shape.insert(shape.end(), first.sizes().begin(), first.sizes().end());
      batch.images = at::empty(shape, first.options().pinned_memory(true));
      at::stack_out(batch.images, batch.pending_images);
    } else {
      batch.images = at::stack(batch.pending_images);
    }
  }
  batch.pending_images.clear();
  return batch;
}

double DataLoader::wait_seconds() {
  std::lock_guard<std::mutex> lock(mutex_);
  return wait_seconds_;
}

}  // namespace ssd::data
