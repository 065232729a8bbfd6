// ssd-serve: a checkpoint behind HTTP (detection_server.h has the endpoints).
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <cerrno>
#include <fcntl.h>
#include <pthread.h>
#include <thread>
#include <unistd.h>

#include "cli/common.h"
#include "ssd/config/load.h"
#include "ssd/detect/detector.h"
#include "ssd/runtime/runtime.h"
#include "ssd/serve/detection_server.h"
#include "ssd/util/error.h"

namespace {

struct ServeCli {
  ssd::cli::CommonOptions common;
  std::string checkpoint;
  ssd::serve::ServeOptions server;
  double max_body_mb = 32, max_wait_ms = 2;
  int64_t max_pixels = 40'000'000;
};

// OpenCV reads its decoders' pixel limit from the environment once, when the library loads, and checks it against an
// image's header before it allocates anything. To make --max-pixels that check, the process starts itself again
// (same process id) with the limit in its environment when it is not there yet.
void apply_pixel_limit(int64_t max_pixels, char** argv) {
  const std::string want = std::to_string(max_pixels);
  const char* have = std::getenv("OPENCV_IO_MAX_IMAGE_PIXELS");
  if (have && want == have) return;
  setenv("OPENCV_IO_MAX_IMAGE_PIXELS", want.c_str(), 1);
  // The executable's own path, not /proc/self/exe: the process keeps its name (ps, top, pkill ssd-serve).
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) execv(self.c_str(), argv);
  spdlog::warn("--max-pixels: could not restart with the limit in place; OpenCV's own limit (2^30 pixels) applies");
}

int stop_pipe[2] = {-1, -1};

// SIGINT and SIGTERM: their number into a pipe, all that a signal handler may safely do (a thread reads it and stops
// the server); the next one of either ends the process at once.
extern "C" void on_stop_signal(int sig) {
  const int saved = errno;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  const char byte = static_cast<char>(sig);
  (void)!write(stop_pipe[1], &byte, 1);
  errno = saved;
}

// The thread that waits for a stop signal and stops the server. Every other thread of ours blocks the two signals
// (the mask is set before they start), so that none of them is interrupted in a system call; this one takes them, as
// may threads that the libraries started before main(). Its destructor wakes and joins it.
class StopOnSignal {
 public:
  explicit StopOnSignal(ssd::serve::DetectionServer& server) {
    thread_ = std::thread([this, &server] {
      sigset_t signals = stop_signals();
      pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
      char sig = 0;
      while (read(stop_pipe[0], &sig, 1) < 0 && errno == EINTR) {
      }
      if (sig == 0) return;
      spdlog::info("{}: finishing the requests in flight, then stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      server.stop();
    });
  }
  ~StopOnSignal() {
    const char done = 0;
    (void)!write(stop_pipe[1], &done, 1);
    thread_.join();
  }
  static sigset_t stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    return signals;
  }

 private:
  std::thread thread_;
};

// The pipe and the handlers, before any thread of ours starts (model loading starts LibTorch's).
void install_stop_signals() {
  if (pipe2(stop_pipe, O_CLOEXEC) != 0) throw std::runtime_error("cannot create the pipe that SIGTERM is handed through");
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigset_t signals = StopOnSignal::stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

ssd::detect::LoadedModel load(const ServeCli& o) {
  const auto overrides = ssd::cli::all_overrides(o.common);
  if (!o.checkpoint.empty()) return ssd::detect::load_model(o.checkpoint, overrides, c10::Device(c10::kCPU));
  if (!o.common.config_path.empty())
    return ssd::detect::load_model_from_config(ssd::config::load_config(o.common.config_path, overrides), c10::Device(c10::kCPU));
  throw ssd::ConfigError("ssd-serve: give --checkpoint (a trained run) or --config with model.init_from (torchvision weights)");
}

int serve(ServeCli& o, char** argv) {
  if (o.max_pixels < 1) throw ssd::ConfigError("--max-pixels must be at least 1");
  if (!o.common.print_config) apply_pixel_limit(o.max_pixels, argv);
  install_stop_signals();
  auto loaded = load(o);
  if (ssd::cli::handle_print_config(o.common, loaded.config)) return 0;
  c10::Device device(c10::kCPU);
  spdlog::info("{}", ssd::runtime::apply_runtime(loaded.config.runtime, &device));
  ssd::runtime::place_model(*loaded.model, loaded.config.runtime.memory_format, loaded.config.train.amp, device);

  o.server.max_body_bytes = std::max<size_t>(1, static_cast<size_t>(o.max_body_mb * (1 << 20)));
  o.server.max_pixels = o.max_pixels;
  o.server.batch.max_wait = std::chrono::microseconds(static_cast<int64_t>(o.max_wait_ms * 1000));
  o.server.model_name = o.checkpoint.empty() ? loaded.config.model.init_from : o.checkpoint;
  ssd::serve::DetectionServer server(loaded, o.server, device);
  const int port = server.bind();
  {
    StopOnSignal stop_on_signal(server);
    // Scripts wait for this line (the port is the one bound, also with --port 0).
    spdlog::info("serving {} ({}, {} classes) on http://{}:{} (batches of up to {} images, waiting up to {} ms)", o.server.model_name,
                 loaded.model->backbone_name, loaded.config.data.classes.size(), o.server.host, port, o.server.batch.max_batch,
                 o.max_wait_ms);
    server.serve();
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-serve: a detector behind HTTP. Concurrent requests are batched into one forward pass.\n\n"
      "  POST /detect        an image as the body (or one multipart file) -> COCO results JSON, as ssd-detect --json-out\n"
      "  POST /detect/batch  several multipart files -> one results list (image_id: each file name's stem)\n"
      "  GET  /health        200 while serving, 503 while stopping\n"
      "  GET  /metrics       Prometheus text: requests, errors, latency and batch-size histograms, the model\n"
      "Query parameters: score_threshold, nms_iou, top_k (default: the checkpoint's postprocess.*), image_id.\n"
      "Errors: 400 bad parameter, 413 body or image count over the limit, 415 not an image, 422 corrupt or over\n"
      "--max-pixels. SIGTERM or Ctrl-C: the requests in flight are answered, then the server exits 0.\n\n"
      "Examples:\n"
      "  ssd-serve --checkpoint runs/shapes --port 8080\n"
      "  curl --data-binary @photo.jpg 'localhost:8080/detect?score_threshold=0.3'\n"
      "  curl -F a=@a.jpg -F b=@b.jpg localhost:8080/detect/batch\n"
      "  ssd-serve --config configs/torchvision_ssd300_coco.yaml --host 0.0.0.0   # torchvision's weights, all interfaces",
      "ssd-serve"};
  ServeCli o;
  ssd::cli::add_config_options(app, o.common, /*with_config_file=*/true);
  app.add_option("--checkpoint", o.checkpoint,
                 "Checkpoint file or run directory (its best.pt if present, else last.pt); without it, --config builds the model "
                 "and model.init_from names its weights");
  app.add_option("--host", o.server.host, "Address to listen on (0.0.0.0: every interface)")->capture_default_str();
  app.add_option("--port", o.server.port, "Port (0: any free one, printed when serving)")->check(CLI::Range(0, 65535))->capture_default_str();
  app.add_option("--max-batch", o.server.batch.max_batch, "Images per forward pass at most")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-wait-ms", o.max_wait_ms, "How long an image waits for others to fill its batch")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--threads-http", o.server.threads,
                 "Connections served at once (each waits on its batch); more clients than this queue, and are closed unanswered on SIGTERM")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-body-mb", o.max_body_mb, "Largest request body, MiB (413 beyond)")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-images", o.server.max_images_per_request, "Images in one /detect/batch request at most (413 beyond)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-pixels", o.max_pixels,
                 "Largest image decoded, width x height (422 beyond; checked from its header), and the most pixels of one "
                 "/detect/batch request together (413 beyond). Images in memory: at most --threads-http x this x 3 bytes")
      ->capture_default_str();
  return ssd::cli::run_tool("ssd-serve", app, argc, argv, [&] { return serve(o, argv); });
}
