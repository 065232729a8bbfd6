// ssd-serve's batching and metrics without a model: the run is a function that records what it was given.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

#include "ssd/serve/batch_queue.h"
#include "ssd/serve/serve_metrics.h"

namespace {

using ssd::serve::BatchOptions;
using ssd::serve::BatchQueue;
using ssd::serve::DetectJob;

// A detection whose image_id is the job's id and whose score is its score threshold: each answer shows which job and
// which settings it came from.
std::vector<std::vector<ssd::eval::Detection>> echo(const std::vector<DetectJob>& jobs) {
  std::vector<std::vector<ssd::eval::Detection>> out;
  for (const auto& j : jobs) {
    ssd::eval::Detection d;
    d.image_id = j.id;
    d.score = static_cast<float>(j.post.score_threshold);
    out.push_back({d});
  }
  return out;
}

DetectJob job(const std::string& id, double score_threshold) {
  DetectJob j;
  j.id = id;
  j.post.score_threshold = score_threshold;
  return j;
}

TEST(BatchQueue, ImagesQueuedTogetherRunTogetherAndEachGetsItsOwnAnswer) {
  std::mutex m;
  std::vector<size_t> sizes;
  BatchOptions options;
  options.max_batch = 4;
  options.max_wait = std::chrono::seconds(5);  // longer than the test: only a full batch (or stop) releases one
  BatchQueue queue(
      [&](const std::vector<DetectJob>& jobs) {
        std::lock_guard<std::mutex> lock(m);
        sizes.push_back(jobs.size());
        return echo(jobs);
      },
      options);
  std::vector<std::future<std::vector<ssd::eval::Detection>>> answers;
  for (int k = 0; k < 8; ++k) answers.push_back(queue.submit(job("img" + std::to_string(k), 0.1 * k)));
  for (int k = 0; k < 8; ++k) {
    const auto dets = answers[static_cast<size_t>(k)].get();
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].image_id, "img" + std::to_string(k));
    EXPECT_FLOAT_EQ(dets[0].score, static_cast<float>(0.1 * k));
  }
  queue.stop();
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 4}));
}

TEST(BatchQueue, ALoneImageRunsAfterTheWaitAlone) {
  std::vector<size_t> sizes;
  BatchOptions options;
  options.max_batch = 8;
  options.max_wait = std::chrono::milliseconds(10);
  BatchQueue queue([&](const std::vector<DetectJob>& jobs) { return sizes.push_back(jobs.size()), echo(jobs); }, options);
  EXPECT_EQ(queue.submit(job("only", 0.5)).get().at(0).image_id, "only");
  queue.stop();
  EXPECT_EQ(sizes, (std::vector<size_t>{1}));
}

TEST(BatchQueue, AFailedRunAnswersItsImagesWithTheErrorAndTheNextBatchRuns) {
  BatchOptions options;
  options.max_batch = 2;
  options.max_wait = std::chrono::seconds(5);
  std::atomic<int> runs{0};
  BatchQueue queue(
      [&](const std::vector<DetectJob>& jobs) {
        if (runs++ == 0) throw std::runtime_error("model failed");
        return echo(jobs);
      },
      options);
  auto a = queue.submit(job("a", 0)), b = queue.submit(job("b", 0));
  EXPECT_THROW(a.get(), std::runtime_error);
  EXPECT_THROW(b.get(), std::runtime_error);
  auto c = queue.submit(job("c", 0)), d = queue.submit(job("d", 0));
  EXPECT_EQ(c.get().at(0).image_id, "c");
  EXPECT_EQ(d.get().at(0).image_id, "d");
}

TEST(BatchQueue, StopRunsWhatIsQueuedThenRefusesMore) {
  BatchOptions options;
  options.max_batch = 16;
  options.max_wait = std::chrono::seconds(30);  // only stop() releases the three
  std::vector<size_t> sizes;
  BatchQueue queue([&](const std::vector<DetectJob>& jobs) { return sizes.push_back(jobs.size()), echo(jobs); }, options);
  std::vector<std::future<std::vector<ssd::eval::Detection>>> answers;
  for (int k = 0; k < 3; ++k) answers.push_back(queue.submit(job(std::to_string(k), 0)));
  queue.stop();
  for (auto& a : answers) EXPECT_EQ(a.get().size(), 1u);
  EXPECT_EQ(sizes, (std::vector<size_t>{3}));
  EXPECT_THROW(queue.submit(job("late", 0)), ssd::serve::ServiceStopping);
}

TEST(ServeMetrics, PrometheusTextCountsRequestsErrorsAndCumulativeBuckets) {
  ssd::serve::ServeMetrics metrics({{"name", "runs/a \"b\""}, {"backbone", "vgg16"}});
  for (const double s : {0.004, 0.02, 0.02, 3.0}) {
    metrics.request_started();
    metrics.request_finished("/detect", 200, s);
  }
  metrics.request_started();
  metrics.request_finished("/detect", 415, 0.001);
  metrics.batch_run(3, 0.1);
  metrics.batch_run(8, 0.2);
  const std::string text = metrics.prometheus_text();
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has("ssd_model_info{backbone=\"vgg16\",name=\"runs/a \\\"b\\\"\"} 1")) << text;
  EXPECT_TRUE(has("ssd_requests_total{endpoint=\"/detect\",code=\"200\"} 4")) << text;
  EXPECT_TRUE(has("ssd_requests_total{endpoint=\"/detect\",code=\"415\"} 1")) << text;
  EXPECT_TRUE(has("ssd_request_errors_total{endpoint=\"/detect\"} 1")) << text;
  // Cumulative: 0.001 and 0.004 are <= 0.005; the two 0.02 join at 0.025; 3.0 at 5; all five at +Inf.
  EXPECT_TRUE(has("ssd_request_duration_seconds_bucket{endpoint=\"/detect\",le=\"0.005\"} 2")) << text;
  EXPECT_TRUE(has("ssd_request_duration_seconds_bucket{endpoint=\"/detect\",le=\"0.01\"} 2")) << text;
  EXPECT_TRUE(has("ssd_request_duration_seconds_bucket{endpoint=\"/detect\",le=\"0.025\"} 4")) << text;
  EXPECT_TRUE(has("ssd_request_duration_seconds_bucket{endpoint=\"/detect\",le=\"2.5\"} 4")) << text;
  EXPECT_TRUE(has("ssd_request_duration_seconds_bucket{endpoint=\"/detect\",le=\"5\"} 5")) << text;
  EXPECT_TRUE(has("ssd_request_duration_seconds_bucket{endpoint=\"/detect\",le=\"+Inf\"} 5")) << text;
  EXPECT_TRUE(has("ssd_request_duration_seconds_count{endpoint=\"/detect\"} 5")) << text;
  EXPECT_TRUE(has("ssd_requests_in_flight 0")) << text;
  EXPECT_TRUE(has("ssd_images_total 11")) << text;
  EXPECT_TRUE(has("ssd_batch_size_bucket{le=\"4\"} 1")) << text;
  EXPECT_TRUE(has("ssd_batch_size_bucket{le=\"8\"} 2")) << text;
  EXPECT_TRUE(has("ssd_batch_size_sum 11")) << text;
}

}  // namespace
