#pragma once
// Requests from many connections -> one forward pass. ssd-serve's handlers hand their decoded images to the queue and
// wait for the futures; one worker thread takes up to max_batch images, waiting at most max_wait after the first
// of them arrived, and runs them together. Throughput grows with the batch on any device; the wait bounds what a
// lone request pays for it.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "ssd/config/config.h"
#include "ssd/eval/voc_eval.h"

namespace ssd::serve {

struct BatchOptions {
  int64_t max_batch = 8;                     ///< images per forward pass at most
  std::chrono::microseconds max_wait{2000};  ///< how long the first image of a batch waits for others
};

/// One image to detect on: RGB pixels, the id its detections carry, its own post-processing settings.
struct DetectJob {
  cv::Mat rgb;
  std::string id;
  config::PostprocessConfig post;
};

class BatchQueue {
 public:
  /// Runs one batch: detections per job, in order (detect::detect_images in ssd-serve).
  using Run = std::function<std::vector<std::vector<eval::Detection>>(const std::vector<DetectJob>& jobs)>;
  /// Told after each batch's run, before its answers are given: its size and the seconds the run took.
  using OnBatch = std::function<void(size_t images, double seconds)>;

  BatchQueue(Run run, BatchOptions options, OnBatch on_batch = {});
  ~BatchQueue();
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  /// Queues one image. The future holds its detections, or the exception the batch's run threw. After stop(): a
  /// ServiceStopping error at once.
  std::future<std::vector<eval::Detection>> submit(DetectJob job);

  /// Takes no more images, runs every one already queued, and joins the worker. Idempotent.
  void stop();

  size_t queued() const;

 private:
  struct Pending {
    DetectJob job;
    std::promise<std::vector<eval::Detection>> done;
    std::chrono::steady_clock::time_point arrived;
  };
  void work();

  Run run_;
  BatchOptions options_;
  OnBatch on_batch_;
  mutable std::mutex mutex_;
  std::mutex join_mutex_;
  std::condition_variable arrived_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

/// submit() after stop(): the server is shutting down (503 to the client).
struct ServiceStopping : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace ssd::serve
