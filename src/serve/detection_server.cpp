#include "ssd/serve/detection_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <thread>

#include "ssd/data/image_decode.h"
#include "ssd/eval/detections_json.h"
#include "ssd/serve/serve_metrics.h"
#include "ssd/util/error.h"

namespace ssd::serve {

namespace {

// An answer other than 200: the status and a message for the client.
struct HttpError : std::runtime_error {
  HttpError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

const std::set<std::string> kEndpoints = {"/detect", "/detect/batch", "/health", "/metrics"};

// The endpoint label of a path: unknown paths are one label, so that probing cannot grow the metrics without bound.
std::string endpoint_of(const std::string& path) { return kEndpoints.count(path) ? path : "other"; }

// Text from the client (a path, an image_id, a file name) may be any bytes: invalid UTF-8 is replaced (U+FFFD), never
// a reason to fail the answer.
void answer_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "application/json");
}

// A query parameter as a number in [low, high]; `fallback` when absent. 400 naming the parameter and `range` otherwise.
double number_param(const httplib::Request& req, const std::string& name, double fallback, double low, double high,
                    const std::string& range) {
  if (!req.has_param(name.c_str())) return fallback;
  const std::string text = req.get_param_value(name.c_str());
  double value = 0;
  size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value) || value < low || value > high)
    throw HttpError(400, "query parameter " + name + "=" + text + ": expected " + range);
  return value;
}

// The settings of a detect request: the checkpoint's postprocess.*, with the query's score_threshold, nms_iou, top_k.
config::PostprocessConfig request_settings(const httplib::Request& req, const config::PostprocessConfig& defaults) {
  config::PostprocessConfig post = defaults;
  post.score_threshold = number_param(req, "score_threshold", post.score_threshold, 0.0, 1.0, "a score from 0 to 1");
  post.nms_iou = number_param(req, "nms_iou", post.nms_iou, 0.0, 1.0, "an IoU from 0 to 1");
  const double top_k = number_param(req, "top_k", static_cast<double>(post.max_per_image), 1.0, 1e9, "a whole number of at least 1");
  if (top_k != std::floor(top_k)) throw HttpError(400, "query parameter top_k=" + req.get_param_value("top_k") + ": expected a whole number of at least 1");
  post.max_per_image = static_cast<int64_t>(top_k);  // as ssd-detect --top-k: the candidates per class stay bounded
  return post;
}

// Bytes -> RGB pixels, or the 4xx that says why not. `what` names the image in the message.
cv::Mat decode(const std::string& bytes, const std::string& what) {
  if (bytes.empty()) throw HttpError(415, what + ": empty; send the image file's bytes");
  data::DecodeFailure failure = data::DecodeFailure::kNone;
  cv::Mat image = data::decode_bgr_image(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), &failure);
  switch (failure) {
    case data::DecodeFailure::kNone: break;
    case data::DecodeFailure::kUnknownFormat:
      throw HttpError(415, what + ": not a JPEG, PNG, BMP, TIFF or WebP image");
    case data::DecodeFailure::kTooLarge:
      throw HttpError(422, what + ": the image declares more pixels than this server decodes (ssd-serve --max-pixels)");
    case data::DecodeFailure::kCorrupt:
      throw HttpError(422, what + ": the image data is corrupt and does not decode");
  }
  cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return image;
}

// A request body as read by the server: the raw bytes, or the parts of multipart/form-data in the order sent.
struct Part {
  std::string name, filename, content;
};
struct Body {
  bool multipart = false;
  std::string raw;
  std::vector<Part> parts;
};

// Reads the body through httplib's content reader, whatever its transfer (a length, chunks, or compressed: httplib
// inflates gzip and brotli as it reads) and content type (httplib parses form-urlencoded bodies itself otherwise, and
// refuses those over 8 KiB, which is what curl --data-binary sends). Every handler reads the body before it looks at
// anything else, so that no answer leaves body bytes on a kept-alive connection to be taken for the next request.
// More than `limit` bytes after inflating: 413, and the rest is read and dropped to its end (httplib 0.11 cannot end a
// kept-alive connection from a handler, so a body left half read would be parsed as the next request).
Body read_body(const httplib::Request& req, const httplib::Response& res, const httplib::ContentReader& reader, size_t limit) {
  Body body;
  size_t total = 0;
  auto fits = [&](size_t n) {
    total += n;
    return total <= limit;
  };
  bool read = false;
  if (req.is_multipart_form_data()) {
    body.multipart = true;
    read = reader(
        [&](const httplib::MultipartFormData& header) {
          body.parts.push_back({header.name, header.filename, {}});
          return true;
        },
        [&](const char* data, size_t n) {
          if (fits(n)) body.parts.back().content.append(data, n);
          return true;
        });
  } else {
    read = reader([&](const char* data, size_t n) {
      if (fits(n)) body.raw.append(data, n);
      return true;
    });
  }
  // httplib refuses a declared Content-Length over the limit itself, skipping the body (and says so in the status).
  if (total > limit || res.status == 413) throw HttpError(413, "body larger than this server takes (ssd-serve --max-body-mb)");
  // httplib's own refusals (an unknown Content-Encoding: 415) keep their status.
  if (!read)
    throw HttpError(res.status >= 400 && res.status < 500 ? res.status : 400,
                    res.status == 415 ? "body in an encoding this server does not read (gzip, deflate and br are read)"
                                      : "the body could not be read: cut short, or malformed multipart data");
  return body;
}

// A part's id: its file name's stem, as ssd-detect names an image; `fallback` without one. Made unique within the
// request (a second "image.jpg" is "image#1"): the answer is one list, told apart by image_id.
std::string id_of(const Part& part, const std::string& fallback, std::set<std::string>& taken) {
  const std::string stem = std::filesystem::path(part.filename).stem().string();
  std::string id = stem.empty() ? fallback : stem;
  for (int k = 1; !taken.insert(id).second; ++k) id = (stem.empty() ? fallback : stem) + "#" + std::to_string(k);
  return id;
}

// The jobs of a request's file parts, each decoded first (one bad part fails the request unrun), its images holding at
// most `max_pixels` together: what one request holds in memory is bounded as one image is. A part without a file name
// is "image" (/detect), or "image<k>" after its index when `numbered` (/detect/batch).
std::vector<DetectJob> jobs_of(const std::vector<Part>& parts, const config::PostprocessConfig& post, int64_t max_pixels,
                               bool numbered) {
  std::vector<DetectJob> jobs;
  std::set<std::string> taken;
  int64_t pixels = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const auto& part = parts[k];
    jobs.push_back({decode(part.content, "part '" + part.name + "'"), id_of(part, numbered ? "image" + std::to_string(k) : "image", taken),
                    post});
    pixels += static_cast<int64_t>(jobs.back().rgb.total());
    if (pixels > max_pixels)
      throw HttpError(413, "the images of this request hold more than " + std::to_string(max_pixels) +
                               " pixels together (ssd-serve --max-pixels); send them in several requests");
  }
  return jobs;
}

// Where a request started (its header read), per connection thread: the logger measures from here.
thread_local std::chrono::steady_clock::time_point request_start;
thread_local bool request_counted = false;

}  // namespace

struct DetectionServer::Impl {
  Impl(detect::LoadedModel& model, ServeOptions options, c10::Device device)
      : model(model),
        options(std::move(options)),
        device(device),
        metrics({{"name", this->options.model_name},
                 {"backbone", model.model->backbone_name},
                 {"image_size", model.model->image_size().str()},
                 {"classes", std::to_string(model.config.data.classes.size())}}),
        queue([this](const std::vector<DetectJob>& jobs) { return run(jobs); }, this->options.batch,
              [this](size_t images, double seconds) { metrics.batch_run(images, seconds); }) {
    routes();
  }

  std::vector<std::vector<eval::Detection>> run(const std::vector<DetectJob>& jobs) {
    std::vector<cv::Mat> images;
    std::vector<std::string> ids;
    std::vector<config::PostprocessConfig> post;
    for (const auto& j : jobs) images.push_back(j.rgb), ids.push_back(j.id), post.push_back(j.post);
    return detect::detect_images(model, images, ids, post, options.batch.max_batch, device);
  }

  // Images -> detections through the queue (batched with other requests' images), as one flat results list.
  nlohmann::json detect(std::vector<DetectJob> jobs) {
    std::vector<std::future<std::vector<eval::Detection>>> pending;
    try {
      for (auto& j : jobs) pending.push_back(queue.submit(std::move(j)));
    } catch (const ServiceStopping& e) {
      for (auto& f : pending) f.wait();  // what was queued runs anyway; nobody reads it
      throw HttpError(503, e.what());
    }
    nlohmann::json out = nlohmann::json::array();
    for (auto& f : pending)
      for (const auto& d : f.get()) out.push_back(eval::detection_entry(d, model.config.data.classes));
    return out;
  }

  // Answers a handler's HttpError (and anything else, as 500) as JSON.
  void answer_errors(const httplib::Request& req, httplib::Response& res, const std::function<void()>& body) {
    try {
      body();
    } catch (const HttpError& e) {
      answer_json(res, e.status, {{"error", e.what()}, {"status", e.status}});
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      answer_json(res, 500, {{"error", std::string("detection failed: ") + e.what()}, {"status", 500}});
    }
  }

  template <typename Handler>
  httplib::Server::HandlerWithContentReader guarded(Handler handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      answer_errors(req, res, [&] { handler(req, res, reader); });
    };
  }

  void routes() {
    server.new_task_queue = [n = options.threads] { return new httplib::ThreadPool(static_cast<size_t>(std::max(1, n))); };
    server.set_payload_max_length(options.max_body_bytes);
    server.set_keep_alive_timeout(2);  // an idle connection holds a thread; a stop waits for it at most this long
    // Requests per connection before the server closes it (httplib's default, 5, makes a busy client reconnect all
    // the time); 1000, as nginx.
    server.set_keep_alive_max_count(1000);
    server.set_read_timeout(30);
    // Answers go out as written: httplib sends the header and the body separately, and Nagle's algorithm would hold
    // the body back until the client's delayed acknowledgement (tens of milliseconds per request).
    server.set_tcp_nodelay(true);
    // SO_REUSEADDR (a restart may bind at once while the old connections linger) without httplib's default
    // SO_REUSEPORT, which lets a second server bind the same port and silently take half of the connections.
    server.set_socket_options([this](socket_t sock) {
      const int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listening_socket = sock;
    });

    server.Post("/detect", guarded([this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      const Body body = read_body(req, res, reader, options.max_body_bytes);
      const auto post = request_settings(req, model.config.postprocess);
      if (!body.multipart) {
        const std::string id = req.has_param("image_id") ? req.get_param_value("image_id") : std::string("image");
        answer_json(res, 200, detect({{decode(body.raw, "body"), id, post}}));
        return;
      }
      if (body.parts.size() != 1)
        throw HttpError(body.parts.empty() ? 415 : 400, "multipart body with " + std::to_string(body.parts.size()) +
                                                            " parts: /detect takes one image (several: /detect/batch)");
      answer_json(res, 200, detect(jobs_of(body.parts, post, options.max_pixels, /*numbered=*/false)));
    }));

    server.Post("/detect/batch", guarded([this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      const Body body = read_body(req, res, reader, options.max_body_bytes);
      const auto post = request_settings(req, model.config.postprocess);
      if (!body.multipart)
        throw HttpError(415, "/detect/batch takes multipart/form-data with one file part per image (curl -F a=@a.jpg -F b=@b.jpg)");
      if (body.parts.empty()) throw HttpError(415, "/detect/batch: the multipart body holds no part");
      if (static_cast<int64_t>(body.parts.size()) > options.max_images_per_request)
        throw HttpError(413, std::to_string(body.parts.size()) + " images in one request; at most " +
                                 std::to_string(options.max_images_per_request) + " (ssd-serve --max-images)");
      answer_json(res, 200, detect(jobs_of(body.parts, post, options.max_pixels, /*numbered=*/true)));
    }));

    // The detect endpoints take POST only: another method is told so (405), not that the path does not exist.
    for (const char* path : {"/detect", "/detect/batch"})
      server.Get(path, [](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Allow", "POST");
        answer_json(res, 405, {{"error", req.path + " takes POST with an image"}, {"status", 405}});
      });

    server.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      answer_json(res, stopping ? 503 : 200,
                  {{"status", stopping ? "stopping" : "ok"},
                   {"model", options.model_name},
                   {"classes", model.config.data.classes},
                   {"image_size", model.model->image_size().str()},
                   {"queued_images", queue.queued()}});
    });

    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.prometheus_text(), "text/plain; version=0.0.4");
    });

    // Every answer of 400 or more that no handler wrote (404, 405, httplib's own 413 and 400) as JSON too.
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
      // Runs outside httplib's own exception handling: nothing here may throw (answer_json does not).
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      std::string message = "error";
      if (res.status == 404) message = req.path + ": no such endpoint (POST /detect, POST /detect/batch, GET /health, GET /metrics)";
      else if (res.status == 413) message = "body larger than this server takes (ssd-serve --max-body-mb)";
      else if (res.status == 400) message = "malformed request";
      answer_json(res, res.status, {{"error", message}, {"status", res.status}});
      return httplib::Server::HandlerResponse::Handled;
    }));

    server.set_pre_routing_handler([this](const httplib::Request&, httplib::Response&) {
      request_start = std::chrono::steady_clock::now();
      request_counted = true;
      metrics.request_started();
      return httplib::Server::HandlerResponse::Unhandled;
    });

    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      // A request rejected before routing (a malformed header) has no start: its latency is not observed (-1).
      const double seconds = request_counted ? std::chrono::duration<double>(std::chrono::steady_clock::now() - request_start).count() : -1.0;
      if (!request_counted) metrics.request_started();
      request_counted = false;
      metrics.request_finished(endpoint_of(req.path), res.status, seconds);
      if (res.status >= 400) spdlog::info("{} {} -> {}", req.method, req.path, res.status);
    });
  }

  detect::LoadedModel& model;
  ServeOptions options;
  c10::Device device;
  ServeMetrics metrics;
  BatchQueue queue;
  httplib::Server server;
  std::atomic<bool> stopping{false};
  std::atomic<bool> serve_entered{false}, served{false};
  socket_t listening_socket = -1;
};

DetectionServer::DetectionServer(detect::LoadedModel& model, ServeOptions options, c10::Device device)
    : impl_(std::make_unique<Impl>(model, std::move(options), device)) {}

DetectionServer::~DetectionServer() {
  stop();
  impl_->queue.stop();
}

int DetectionServer::bind() {
  auto& o = impl_->options;
  const int port = o.port == 0 ? impl_->server.bind_to_any_port(o.host) : (impl_->server.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port < 0)
    throw ConfigError("--host " + o.host + " --port " + std::to_string(o.port) + ": cannot listen there (the port is taken, or the "
                      "address is not this machine's)");
  // httplib listens with a queue of 5 connections not yet accepted: a burst of clients connecting at once (32 in
  // bench/serve_load.py) overflowed it, and some saw their connection reset. Listening again on the same socket sets
  // the queue's length (Linux), here the system's maximum.
  if (impl_->listening_socket >= 0) ::listen(impl_->listening_socket, SOMAXCONN);
  return port;
}

void DetectionServer::serve() {
  impl_->serve_entered = true;
  bool listened = true;
  if (!impl_->stopping) listened = impl_->server.listen_after_bind();  // returns after stop(), the requests answered
  impl_->served = true;
  impl_->queue.stop();
  if (!listened && !impl_->stopping) throw std::runtime_error("ssd-serve: listening on " + impl_->options.host + " failed");
}

void DetectionServer::stop() {
  impl_->stopping = true;
  // httplib's stop() does nothing before its listening loop runs: a stop that comes between serve()'s start and the
  // loop waits for the loop (a stop before serve() is seen by serve() itself).
  while (impl_->serve_entered && !impl_->served && !impl_->server.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->server.stop();
}

}  // namespace ssd::serve
