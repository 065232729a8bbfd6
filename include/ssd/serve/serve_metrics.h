#pragma once
// What ssd-serve counts, and GET /metrics in Prometheus' text exposition format (version 0.0.4): requests by endpoint
// and status, latency and batch-size histograms, images, the requests in flight, the model served. Written here:
// the format is a few lines of text, and no Prometheus client library for C++ is packaged for Debian.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ssd::serve {

/// Cumulative buckets as Prometheus reads them: count of observations <= each bound, plus +Inf, sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  /// The metric's lines (_bucket, _sum, _count), `labels` (`endpoint="/detect"`, or empty) inside each line's braces.
  std::string text(const std::string& name, const std::string& labels = "") const;
  uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bound, not cumulative; the last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServeMetrics {
 public:
  /// `model` labels ssd_model_info: name (the checkpoint), backbone, input size, classes.
  explicit ServeMetrics(std::map<std::string, std::string> model);

  void request_started();
  /// A request answered: its endpoint (/detect, ...), HTTP status and seconds from its headers being read to the
  /// answer (negative: not measured, not observed in the histogram).
  void request_finished(const std::string& endpoint, int status, double seconds);
  /// A forward pass: how many images, and its seconds.
  void batch_run(size_t images, double seconds);

  std::string prometheus_text() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> model_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;  // per endpoint
  Histogram batch_sizes_;
  Histogram batch_seconds_;
  uint64_t images_ = 0;
  int64_t in_flight_ = 0;
};

}  // namespace ssd::serve
