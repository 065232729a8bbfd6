// ssd-bench: seconds per training step (forward, matching, loss, backward, SGD step), per forward pass of one
// model on a synthetic batch, or per batch of end-to-end inference on JPEG files (ssd-detect's path: decode,
// resize and normalise, forward, decode boxes, NMS, boxes in pixels; --images), for bench/speed.py, which runs bench/reference_speed.py (torchvision) on the same
// shapes and writes the comparison. Prints one JSON line: {"side": "cpp", "model": ..., "mode": ..., "batch": ...,
// "threads": ..., "parameters": ..., "times": [seconds per iteration after the warm-up]}.
//
// The batch is the same on both sides: images N(0, 1) from a seeded generator (the values do not change the work),
// and bench_boxes' objects, which are written as a formula so that Python makes the same ones.
//
// --device cuda times the same work on a GPU: each iteration ends with a device synchronisation, as CUDA runs
// kernels asynchronously and a timer read at the return of the last call would stop before the work does.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/cuda.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ssd/config/config.h"
#include "ssd/data/batch.h"
#ifndef SSD_CORE_ONLY
#include "ssd/detect/detector.h"
#endif
#include "ssd/runtime/runtime.h"
#include "ssd/engine/train_step.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/model/ssd.h"
#include "ssd/optim/optimizer.h"

namespace {

// Object k of image i: a box of side 0.1..0.5 placed by a fixed formula, label 1 + (i + k) % (classes - 1).
// bench/reference_speed.py's bench_boxes is the same formula.
void bench_boxes(int64_t image, int64_t objects, int64_t classes, at::Tensor* boxes, at::Tensor* labels) {
  std::vector<float> b;
  std::vector<int64_t> l;
  for (int64_t k = 0; k < objects; ++k) {
    const double t = std::fmod(0.37 * static_cast<double>(image * objects + k) + 0.11, 1.0);
    const double side = 0.1 + 0.4 * t, x = (1 - side) * std::fmod(3.1 * t, 1.0), y = (1 - side) * std::fmod(5.7 * t, 1.0);
    b.insert(b.end(), {static_cast<float>(x), static_cast<float>(y), static_cast<float>(x + side), static_cast<float>(y + side)});
    l.push_back(1 + (image + k) % (classes - 1));
  }
  *boxes = at::tensor(b).view({objects, 4});
  *labels = at::tensor(l);
}

struct BenchOptions {
  std::string backbone = "vgg16", mode = "train", images_dir;
  int64_t image_size = 300, classes = 21, batch = 8, warmup = 2, iters = 5, threads = 0, objects = 3;
  double width = 1.0;
  std::string allocator = "huge_pages", memory_format = "auto", device_name = "cpu";
  bool amp = false;
};

void add_options(CLI::App& app, BenchOptions& o) {
  app.add_option("--backbone", o.backbone)->capture_default_str();
  app.add_option("--image-size", o.image_size)->capture_default_str();
  app.add_option("--width", o.width)->capture_default_str();
  app.add_option("--classes", o.classes, "Including background")->capture_default_str();
  app.add_option("--batch", o.batch)->capture_default_str();
  app.add_option("--mode", o.mode, "train, forward, detect, or peak (the machine's fp32 GEMM and 3x3 convolution GFLOP/s)")
      ->check(CLI::IsMember({"train", "forward", "detect", "peak"}))
      ->capture_default_str();
  app.add_option("--images", o.images_dir, "detect: folder of images, taken batch by batch in name order (cycling)");
  app.add_option("--warmup", o.warmup)->capture_default_str();
  app.add_option("--iters", o.iters)->capture_default_str();
  app.add_option("--threads", o.threads, "0 = every core")->capture_default_str();
  app.add_option("--objects", o.objects, "Objects per image")->capture_default_str();
  app.add_option("--allocator", o.allocator, "runtime.allocator: huge_pages, keep or glibc")->capture_default_str();
  app.add_option("--memory-format", o.memory_format, "runtime.memory_format: auto, channels_last or contiguous")
      ->check(CLI::IsMember({"auto", "channels_last", "contiguous"}))
      ->capture_default_str();
  app.add_option("--device", o.device_name, "runtime.device: cpu, cuda, cuda:N or auto")->capture_default_str();
  app.add_flag("--amp", o.amp,
               "train.amp: autocast (bfloat16 on the CPU, float16 with loss scaling on CUDA) for the training step and "
               "the forward pass");
}

// The end of an iteration's work: on CUDA, once the device has finished every kernel queued so far.
void finish(c10::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

// bench/speed.py's machine_peaks, measured here too: the best of both is the machine's peak (on the CPU; on CUDA this
// is the only measurement, bench/gpu_speed.py's).
nlohmann::json peaks(c10::Device device) {
  const auto on = at::TensorOptions().device(device);
  const auto a = at::randn({2048, 2048}, on), b = at::randn({2048, 2048}, on);
  const auto x = at::randn({8, 256, 38, 38}, on), w = at::randn({256, 256, 3, 3}, on);
  auto best = [device](auto&& f) {
    double fastest = 1e30;
    for (int i = 0; i < 12; ++i) {
      const auto start = std::chrono::steady_clock::now();
      f();
      finish(device);
      if (i >= 2) fastest = std::min(fastest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return fastest;
  };
  const double gemm = 2.0 * 2048 * 2048 * 2048 / best([&] { (void)at::mm(a, b); }) / 1e9;
  const double conv_flop = 2.0 * 8 * 256 * 38 * 38 * 256 * 9;
  const double conv_nchw = conv_flop / best([&] { (void)at::conv2d(x, w, {}, 1, 1); }) / 1e9;
  // The better layout is the peak: on the CPU oneDNN's direct convolution is faster on channels-last tensors; on
  // CUDA, cuDNN's float32 convolutions run in TF32 on the tensor cores (LibTorch's default, as in the models).
  const auto x_cl = x.contiguous(at::MemoryFormat::ChannelsLast), w_cl = w.contiguous(at::MemoryFormat::ChannelsLast);
  const double conv_nhwc = conv_flop / best([&] { (void)at::conv2d(x_cl, w_cl, {}, 1, 1); }) / 1e9;
  nlohmann::json out{{"side", "cpp"}, {"mode", "peak"}, {"device", device.str()}, {"threads", at::get_num_threads()},
                     {"gemm_gflops", gemm}, {"conv_gflops", std::max(conv_nchw, conv_nhwc)},
                     {"conv_nchw_gflops", conv_nchw}, {"conv_nhwc_gflops", conv_nhwc}};
  if (device.is_cuda()) {
    // train.amp's float16 runs on the tensor cores: their rate is the peak an AMP step is measured against.
    const auto a16 = a.to(at::kHalf), b16 = b.to(at::kHalf), x16 = x_cl.to(at::kHalf), w16 = w_cl.to(at::kHalf);
    out["gemm_fp16_gflops"] = 2.0 * 2048 * 2048 * 2048 / best([&] { (void)at::mm(a16, b16); }) / 1e9;
    out["conv_fp16_gflops"] = conv_flop / best([&] { (void)at::conv2d(x16, w16, {}, 1, 1); }) / 1e9;
  }
  return out;
}

// The synthetic batch: images N(0, 1), bench_boxes' objects.
ssd::data::Batch synthetic_batch(const BenchOptions& o, c10::Device device) {
  ssd::data::Batch b;
  b.images = at::randn({o.batch, 3, o.image_size, o.image_size}, at::TensorOptions().dtype(at::kFloat));
  // As ssd-train's loader hands batches to a GPU: in page-locked memory, copied by each step without blocking.
  if (device.is_cuda()) b.images = b.images.pin_memory();
  for (int64_t i = 0; i < o.batch; ++i) {
    at::Tensor boxes, labels;
    bench_boxes(i, o.objects, o.classes, &boxes, &labels);
    b.boxes.push_back(boxes);
    b.labels.push_back(labels);
    b.indices.push_back(static_cast<size_t>(i));
  }
  return b;
}

// Times warmup + iters iterations of the mode; the seconds of those after the warm-up, and the detections of the last.
int run(const BenchOptions& o, const ssd::config::Config& c, c10::Device device) {
  auto model = ssd::model::build_ssd(c.model, o.classes);
  auto loss_fn = ssd::loss::make_loss(c.loss);
  ssd::runtime::place_model(*model, c.runtime.memory_format, c.train.amp, device);
  ssd::runtime::MixedPrecision precision(c.train, device);
  auto optimizer = ssd::optim::make_optimizer(c.solver, model->parameters());
  const auto b = synthetic_batch(o, device);
  std::vector<std::string> files;
#ifdef SSD_CORE_ONLY
  if (o.mode == "detect") {
    std::cerr << "ssd-bench: --mode detect decodes JPEG files, which this build (SSD_CORE_ONLY: no image libraries) "
                 "cannot; train, forward and peak can\n";
    return 2;
  }
#else
  ssd::detect::LoadedModel loaded{c, model};
  if (o.mode == "detect") {
    if (o.images_dir.empty()) {
      std::cerr << "ssd-bench: --mode detect needs --images\n";
      return 2;
    }
    files = ssd::detect::collect_images({o.images_dir});
    model->eval();
  }
#endif
  std::vector<double> times;
  int64_t detections = 0;
  for (int64_t i = 0; i < o.warmup + o.iters; ++i) {
    std::vector<std::string> batch_files;
    for (int64_t k = 0; k < o.batch && !files.empty(); ++k) batch_files.push_back(files[static_cast<size_t>(i * o.batch + k) % files.size()]);
    const auto start = std::chrono::steady_clock::now();
    if (o.mode == "train") {
      model->train();
      const auto loss = ssd::engine::train_step(model, *optimizer, b, *loss_fn, c.solver.clip_grad_norm, device, precision);
      if (!loss.finite()) {
        std::cerr << "ssd-bench: the loss diverged\n";
        return 1;
      }
#ifndef SSD_CORE_ONLY
    } else if (o.mode == "detect") {
      std::vector<size_t> undecodable;
      const auto found = ssd::detect::detect_files(loaded, batch_files, o.batch, device, &undecodable);
      if (!undecodable.empty()) {
        std::cerr << "ssd-bench: " << batch_files[undecodable.front()] << ": cannot decode image\n";
        return 1;
      }
      detections = 0;
      for (const auto& d : found) detections += static_cast<int64_t>(d.size());
#endif
    } else {
      torch::NoGradGuard no_grad;
      model->eval();
      ssd::runtime::AutocastScope autocast(precision.enabled, device, precision.dtype);
      const auto out = model->forward(b.images.to(device, /*non_blocking=*/true));
      (void)out.conf.sum().item<float>();
    }
    finish(device);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i >= o.warmup) times.push_back(seconds);
  }
  nlohmann::json out = {{"side", "cpp"},       {"model", o.backbone + "@" + std::to_string(o.image_size)},
                        {"mode", o.mode},      {"batch", o.batch}, {"amp", o.amp}, {"device", device.str()},
                        {"memory_format", ssd::runtime::memory_format_name(model->memory_format())},
                        {"threads", at::get_num_threads()}, {"parameters", model->parameter_count()},
                        {"times", times}, {"detections", detections}};
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ssd-bench: seconds per training step or forward pass on a synthetic batch (see bench/speed.py)", "ssd-bench"};
  BenchOptions o;
  add_options(app, o);
  CLI11_PARSE(app, argc, argv);
  ssd::config::Config c;
  c.model.backbone = o.backbone;
  c.model.image_size = o.image_size;
  c.model.width_mult = o.width;
  c.runtime.device = o.device_name;
  c.runtime.threads = o.threads;
  c.runtime.allocator = o.allocator;
  c.runtime.memory_format = o.memory_format;
  c.train.amp = o.amp;
  c10::Device device(c10::kCPU);
  try {
    ssd::runtime::apply_runtime(c.runtime, &device);
  } catch (const std::exception& e) {
    std::cerr << "ssd-bench: " << e.what() << "\n";
    return 2;
  }
  if (o.mode == "peak") {
    std::cout << peaks(device).dump() << std::endl;
    return 0;
  }
  return run(o, c, device);
}
