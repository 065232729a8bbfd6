#include "ssd/serve/serve_metrics.h"

#include <algorithm>
#include <sstream>

namespace ssd::serve {

namespace {

// Request latencies from 5 ms (a small model, one image, no queue) to 30 s (a large one behind a long queue).
const std::vector<double> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
const std::vector<double> kBatchBounds = {1, 2, 4, 8, 16, 32, 64};

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string escaped(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

std::string number(double v) {
  std::ostringstream os;
  os.precision(15);  // 0.005, not 0.0050000000000000001
  os << v;
  return os.str();
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();  // first bound >= value
  ++counts_[static_cast<size_t>(at)];
  sum_ += value;
  ++count_;
}

std::string Histogram::text(const std::string& name, const std::string& labels) const {
  std::ostringstream os;
  const std::string prefix = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  for (size_t k = 0; k < bounds_.size(); ++k) {
    cumulative += counts_[k];
    os << name << "_bucket{" << prefix << "le=\"" << number(bounds_[k]) << "\"} " << cumulative << "\n";
  }
  os << name << "_bucket{" << prefix << "le=\"+Inf\"} " << count_ << "\n";
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  os << name << "_sum" << braces << " " << number(sum_) << "\n" << name << "_count" << braces << " " << count_ << "\n";
  return os.str();
}

ServeMetrics::ServeMetrics(std::map<std::string, std::string> model)
    : model_(std::move(model)), batch_sizes_(kBatchBounds), batch_seconds_(kLatencyBounds) {}

void ServeMetrics::request_started() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++in_flight_;
}

void ServeMetrics::request_finished(const std::string& endpoint, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  --in_flight_;
  ++requests_[{endpoint, status}];
  auto& histogram = latency_.try_emplace(endpoint, kLatencyBounds).first->second;
  if (seconds >= 0) histogram.observe(seconds);
}

void ServeMetrics::batch_run(size_t images, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  images_ += images;
  batch_sizes_.observe(static_cast<double>(images));
  batch_seconds_.observe(seconds);
}

std::string ServeMetrics::prometheus_text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream os;
  os << "# HELP ssd_model_info The model this server runs.\n# TYPE ssd_model_info gauge\nssd_model_info{";
  bool first = true;
  for (const auto& [key, value] : model_) os << (first ? "" : ",") << key << "=\"" << escaped(value) << "\"", first = false;
  os << "} 1\n";
  os << "# HELP ssd_requests_total Requests answered, by endpoint and HTTP status.\n# TYPE ssd_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    os << "ssd_requests_total{endpoint=\"" << escaped(key.first) << "\",code=\"" << key.second << "\"} " << n << "\n";
  os << "# HELP ssd_request_errors_total Requests answered with a status of 400 or more.\n# TYPE ssd_request_errors_total counter\n";
  std::map<std::string, uint64_t> errors;
  for (const auto& [key, n] : requests_) errors[key.first] += key.second >= 400 ? n : 0;
  for (const auto& [endpoint, n] : errors) os << "ssd_request_errors_total{endpoint=\"" << escaped(endpoint) << "\"} " << n << "\n";
  os << "# HELP ssd_request_duration_seconds From a request's headers being read to its answer.\n# TYPE ssd_request_duration_seconds histogram\n";
  for (const auto& [endpoint, h] : latency_) os << h.text("ssd_request_duration_seconds", "endpoint=\"" + escaped(endpoint) + "\"");
  os << "# HELP ssd_requests_in_flight Requests received and not yet answered.\n# TYPE ssd_requests_in_flight gauge\n"
     << "ssd_requests_in_flight " << in_flight_ << "\n";
  os << "# HELP ssd_images_total Images run through the model.\n# TYPE ssd_images_total counter\nssd_images_total " << images_ << "\n";
  os << "# HELP ssd_batch_size Images per forward pass.\n# TYPE ssd_batch_size histogram\n" << batch_sizes_.text("ssd_batch_size");
  os << "# HELP ssd_batch_duration_seconds One forward pass with its pre- and post-processing.\n"
     << "# TYPE ssd_batch_duration_seconds histogram\n" << batch_seconds_.text("ssd_batch_duration_seconds");
  return os.str();
}

}  // namespace ssd::serve
