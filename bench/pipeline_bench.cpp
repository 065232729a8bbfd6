// ssd-pipeline-bench: images/s of the training data pipeline on a VOC-layout data set, for bench/pipeline.py, which
// runs the Python + OpenCV equivalent (bench/reference_pipeline.py) on the same files and writes the comparison.
// Stages, each timed for --seconds after one warm-up pass over a few images:
//   decode_limit  cv::imdecode of JPEG bytes already in memory, one core: the per-core decode limit of this machine
//   read_decode   DetectionDataset::load (read the file, decode, BGR -> RGB), one core
//   augment       TrainAugmentation on decoded images (photometric distortion, zoom-out, IoU crop, flip, resize,
//                 normalised tensor), one core
//   full          read_decode + augment, one core
//   loader        DataLoader batches (the trainer's loader: workers = data.workers, default every core), images/s
//   heavy, heavy_loader  with --heavy CONFIG: augment and loader with that config's augment.pipeline (the steps of
//                 data/augment_steps/) in place of the SSD paper's augmentation
// Prints one JSON line: {"side": "cpp", "images": N, "stages": {name: images per second}}.
#include <ATen/Parallel.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "ssd/config/config.h"
#include "ssd/config/load.h"
#include "ssd/data/augment_pipeline.h"
#include "ssd/data/dataset.h"
#include "ssd/data/loader.h"
#include "ssd/runtime/cpu_allocator.h"

namespace {

// Calls step(i) for i = 0, 1, ... until `seconds` have passed; returns calls per second.
template <class Step>
double per_second(double seconds, Step&& step) {
  const auto start = std::chrono::steady_clock::now();
  int64_t calls = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    step(calls++);
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return static_cast<double>(calls) / elapsed;
}

// Images/s of the trainer's loader over `set` with `augmentation`, after a warm-up batch.
double loader_rate(const ssd::data::DetectionDataset& set, const ssd::data::LoaderOptions& options, double seconds,
                   const ssd::data::Augmentation& augmentation, int& workers) {
  ssd::data::DataLoader loader(set, options, [&](const ssd::data::Sample& s, std::mt19937_64& r) { return augmentation(s, r); });
  int64_t epoch = 0;
  loader.start_epoch(epoch);
  (void)loader.next();  // warm-up: the workers start
  int64_t images = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    auto b = loader.next();
    if (!b) {
      loader.start_epoch(++epoch);
      continue;
    }
    images += static_cast<int64_t>(b->size());
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  loader.stop();
  workers = loader.workers();
  return static_cast<double>(images) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ssd-pipeline-bench: images/s of the training data pipeline (see bench/pipeline.py)", "ssd-pipeline-bench"};
  std::string root, split = "train";
  int64_t image_size = 300, batch = 32, workers = 0;
  double seconds = 3;
  std::string heavy;
  app.add_option("--data", root, "VOC-layout root (JPEGImages/, Annotations/, ImageSets/Main/)")->required();
  app.add_option("--split", split)->capture_default_str();
  app.add_option("--image-size", image_size)->capture_default_str();
  app.add_option("--batch", batch, "loader stage")->capture_default_str();
  app.add_option("--workers", workers, "loader stage; 0 = every core (data.workers' default)")->capture_default_str();
  app.add_option("--seconds", seconds, "per stage")->capture_default_str();
  app.add_option("--heavy", heavy, "a config whose augment.pipeline the heavy stages run");
  CLI11_PARSE(app, argc, argv);

  ssd::config::Config c;
  ssd::runtime::use_cpu_allocator(c.runtime.allocator);  // as ssd-train's apply_runtime
  c.data.train.roots = {root};
  c.data.train.splits = {split};
  // Class names of ssd-shapes' data; other VOC data sets need only that their names are among them to load.
  c.data.classes = {"circle", "square", "triangle", "star"};
  ssd::data::DatasetOptions dataset;
  dataset.split = c.data.train, dataset.classes = c.data.classes, dataset.strict = true, dataset.val_fraction = 0;
  const ssd::data::DetectionDataset set(dataset);
  const size_t n = set.size();
  const ssd::data::TrainAugmentation augmentation(c.augment, c.model.pixel_mean, c.model.pixel_std, static_cast<int>(image_size), c.model.resize);

  // One core for the single-stage figures: OpenCV's and ATen's own threads off, as in the loader's workers.
  cv::setNumThreads(1);
  at::set_num_threads(1);
  std::vector<std::vector<uchar>> bytes(n);
  std::vector<ssd::data::Sample> samples(n);
  for (size_t i = 0; i < n; ++i) {
    std::ifstream in(set.annotation(i).image_path, std::ios::binary);
    bytes[i].assign(std::istreambuf_iterator<char>(in), {});
    samples[i] = set.load(i);
  }
  std::mt19937_64 rng(1);
  nlohmann::json stages;
  stages["decode_limit"] = per_second(seconds, [&](int64_t i) { (void)cv::imdecode(bytes[static_cast<size_t>(i) % n], cv::IMREAD_COLOR); });
  stages["read_decode"] = per_second(seconds, [&](int64_t i) { (void)set.load(static_cast<size_t>(i) % n); });
  stages["augment"] = per_second(seconds, [&](int64_t i) { (void)augmentation(samples[static_cast<size_t>(i) % n], rng); });
  stages["full"] = per_second(seconds, [&](int64_t i) { (void)augmentation(set.load(static_cast<size_t>(i) % n), rng); });

  ssd::data::LoaderOptions options;
  options.batch_size = batch;
  options.workers = workers;
  int workers_used = 0;
  stages["loader"] = loader_rate(set, options, seconds, augmentation, workers_used);
  if (!heavy.empty()) {
    const auto config = ssd::config::load_config(heavy, {});
    const auto pipeline = ssd::data::make_train_augmentation(config.augment, c.model.pixel_mean, c.model.pixel_std, static_cast<int>(image_size), config.model.resize);
    stages["heavy"] = per_second(seconds, [&](int64_t i) { (void)(*pipeline)(samples[static_cast<size_t>(i) % n], rng); });
    stages["heavy_loader"] = loader_rate(set, options, seconds, *pipeline, workers_used);
  }
  const nlohmann::json out = {{"side", "cpp"}, {"images", n}, {"workers", workers_used}, {"stages", stages}};
  std::cout << out.dump() << std::endl;
  return 0;
}
