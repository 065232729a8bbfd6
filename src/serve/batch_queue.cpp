#include "ssd/serve/batch_queue.h"

#include <exception>
#include <stdexcept>

namespace ssd::serve {

BatchQueue::BatchQueue(Run run, BatchOptions options, OnBatch on_batch)
    : run_(std::move(run)), options_(options), on_batch_(std::move(on_batch)) {
  if (options_.max_batch < 1) options_.max_batch = 1;
  worker_ = std::thread([this] { work(); });
}

BatchQueue::~BatchQueue() { stop(); }

std::future<std::vector<eval::Detection>> BatchQueue::submit(DetectJob job) {
  Pending pending{std::move(job), {}, std::chrono::steady_clock::now()};
  auto future = pending.done.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw ServiceStopping("the server is shutting down");
    queue_.push_back(std::move(pending));
  }
  arrived_.notify_one();
  return future;
}

void BatchQueue::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  arrived_.notify_one();
  std::lock_guard<std::mutex> lock(join_mutex_);  // two threads stopping at once: one joins, the other waits for it
  if (worker_.joinable()) worker_.join();
}

size_t BatchQueue::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void BatchQueue::work() {
  const auto max_batch = static_cast<size_t>(options_.max_batch);
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      arrived_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      // The oldest image waits at most max_wait (from its arrival) for the batch to fill; while stopping, nothing
      // more will come.
      const auto deadline = queue_.front().arrived + options_.max_wait;
      arrived_.wait_until(lock, deadline, [&] { return stopping_ || queue_.size() >= max_batch; });
      const size_t take = std::min(max_batch, queue_.size());
      for (size_t k = 0; k < take; ++k) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<DetectJob> jobs;
    jobs.reserve(batch.size());
    for (auto& p : batch) jobs.push_back(std::move(p.job));
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::vector<eval::Detection>> results;
    std::exception_ptr error;
    try {
      results = run_(jobs);
      if (results.size() != batch.size()) throw std::logic_error("a batch's run answered for another number of images");
    } catch (...) {
      error = std::current_exception();  // answers every image of the batch; the worker goes on with the next
    }
    // Told before the answers go out: a client that reads the metrics after its answer sees its batch counted.
    if (on_batch_)
      on_batch_(batch.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    for (size_t k = 0; k < batch.size(); ++k) {
      if (error) batch[k].done.set_exception(error);
      else batch[k].done.set_value(std::move(results[k]));
    }
  }
}

}  // namespace ssd::serve
