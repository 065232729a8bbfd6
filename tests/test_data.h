#pragma once
// Tiny data sets made by the tests themselves (no downloads): the shapes generator at a small size.
#include <filesystem>

#include <opencv2/imgproc.hpp>
#include <string>

#include "ssd/config/config.h"
#include "ssd/data/dataset.h"
#include "ssd/data/shapes.h"
#include "ssd/data/transforms.h"

namespace ssd::test {

/// A fresh temporary folder, removed by the caller when it wants (tests leave it for inspection on failure).
inline std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("ssd_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

/// One object, a white rectangle r on a plain background (gray level 0..255), as the augmentation sees an image: float
/// RGB with the object's box in pixels, label 1.
inline data::Labeled white_rectangle(cv::Size size, const cv::Rect& r, double background) {
  data::Labeled l;
  l.image = cv::Mat(size, CV_32FC3, cv::Scalar::all(background));
  cv::rectangle(l.image, r, cv::Scalar::all(255), cv::FILLED);
  data::Object o;
  o.x1 = static_cast<float>(r.x), o.y1 = static_cast<float>(r.y);
  o.x2 = static_cast<float>(r.x + r.width), o.y2 = static_cast<float>(r.y + r.height);
  o.label = 1;
  l.objects = {o};
  return l;
}

/// Writes a small shapes data set (VOC layout) and returns its root.
inline std::string make_shapes(const std::string& dir, int train = 12, int val = 4, int size = 96) {
  data::ShapesOptions o;
  o.root = dir + "/shapes";
  o.train_images = train;
  o.val_images = val;
  o.image_size = size;
  o.min_size = 10;
  o.max_size = 40;
  o.max_objects = 3;
  generate_shapes(o);
  return o.root;
}

/// The options of a data set over `split` with `classes` and the defaults otherwise (training: difficult objects
/// dropped, bad samples skipped).
inline data::DatasetOptions dataset_options(config::SplitConfig split, std::vector<std::string> classes) {
  data::DatasetOptions o;
  o.split = std::move(split);
  o.classes = std::move(classes);
  return o;
}

/// A config that trains a very small SSD-Lite on the data set at `root` for a handful of iterations.
/// A very small SSD-Lite (MobileNetV2 at width 0.25, 96 pixels): fast to build, save and load.
inline config::ModelConfig tiny_model() {
  config::ModelConfig mc;
  mc.backbone = "mobilenet_v2";
  mc.width_mult = 0.25;
  mc.image_size = 96;
  return mc;
}

inline config::Config tiny_config(const std::string& root, const std::string& run_dir) {
  config::Config c;
  c.data.classes = data::shapes_classes();
  c.data.train = {"voc", {root}, {"train"}};
  c.data.val = {"voc", {root}, {"val"}};
  c.data.workers = 2;
  c.model = tiny_model();
  c.model.priors.preset = "scales";
  c.solver.lr = 0.01;
  c.schedule.warmup.iters = 2;
  c.train.run_dir = run_dir;
  c.train.batch_size = 4;
  c.train.epochs = 2;
  c.train.log_period = 1;
  c.runtime.threads = 1;
  return c;
}

}  // namespace ssd::test
