#pragma once
// ssd-serve's HTTP side: the endpoints over a loaded model, on cpp-httplib (Debian's libcpp-httplib-dev: a small,
// well-kept server with a thread pool, multipart parsing, body limits and a clean stop; its header stays in the .cpp).
//
//   POST /detect        one image: the body itself (any content type), or multipart/form-data with one file
//   POST /detect/batch  multipart/form-data with several files
//   GET  /health        200 {"status": "ok", ...}; 503 while shutting down
//   GET  /metrics       Prometheus text (serve_metrics.h)
//
// Query parameters of the detect endpoints: score_threshold, nms_iou, top_k (default: the checkpoint's postprocess.*),
// image_id (a raw body's id; a file part's id is its file name's stem). The answer is COCO results JSON, as
// ssd-detect --json-out writes it. Errors are JSON {"error": ..., "status": ...}: 400 a bad parameter, 413 a body over
// the limit, 415 a body that is no image, 422 an image that does not decode or is over the pixel limit, 503 stopping.
#include <cstdint>
#include <memory>
#include <string>

#include "ssd/detect/detector.h"
#include "ssd/serve/batch_queue.h"

namespace ssd::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                          ///< 0: any free port (bind() says which)
  size_t max_body_bytes = 32u << 20;        ///< 413 beyond
  int64_t max_images_per_request = 64;      ///< /detect/batch: 413 beyond
  int64_t max_pixels = 40'000'000;          ///< one request's images together: 413 beyond (one image: OpenCV's check)
  int threads = 64;                         ///< connections served at once
  BatchOptions batch;
  std::string model_name;                   ///< shown by /health and /metrics (the checkpoint)
};

class DetectionServer {
 public:
  DetectionServer(detect::LoadedModel& model, ServeOptions options, c10::Device device);
  ~DetectionServer();
  DetectionServer(const DetectionServer&) = delete;
  DetectionServer& operator=(const DetectionServer&) = delete;

  /// Binds the listening socket; the port bound. ConfigError naming host and port when it cannot.
  int bind();
  /// Serves until stop(); returns once every request received before it has been answered. Throws when listening
  /// fails.
  void serve();
  /// From any thread but a signal handler, also before serve() has started listening: answers no new connection,
  /// lets the requests in flight finish. serve() then returns. Connections accepted but still waiting for a free
  /// thread (more clients than --threads-http) are closed unanswered.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssd::serve
