#include "ssd/detect/detector.h"

#include <spdlog/spdlog.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "ssd/builder/model.h"
#include "ssd/config/load.h"
#include "ssd/data/augment.h"
#include "ssd/data/image_decode.h"
#include "ssd/data/image_files.h"
#include "ssd/data/input_fit.h"
#include "ssd/engine/checkpoint.h"
#include "ssd/eval/evaluator.h"
#include "ssd/eval/sliced_inference.h"
#include "ssd/interop/file_normalisation.h"
#include "ssd/interop/initial_weights.h"
#include "ssd/model/postprocess.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::detect {

LoadedModel load_model(const std::string& checkpoint, const std::vector<std::string>& overrides, c10::Device device) {
  // A run directory: its best checkpoint, the one meant when detecting or exporting (last.pt when none was scored).
  const fs::path best = fs::path(checkpoint) / "best.pt";
  const std::string path = engine::resolve_checkpoint_path(fs::is_directory(checkpoint) && fs::exists(best) ? best.string() : checkpoint);
  const auto state = engine::read_checkpoint_state(path);
  LoadedModel m;
  m.config = config::load_config_text(state.config_yaml, path + " (stored config)", overrides);
  m.model = builder::model(m.config);
  engine::load_checkpoint(path, m.model, nullptr);
  m.model->to(device);
  m.model->eval();
  return m;
}

LoadedModel load_model_from_config(const config::Config& config, c10::Device device) {
  // An ImageNet backbone alone would leave the heads random: only a whole detector is worth running.
  if (config.model.init_from.empty())
    throw ConfigError("model.init_from: a model built from a config alone has random heads; name the detector weights to run "
                      "(--set model.init_from=ssd300_vgg16_coco-b556d3b4.pth) or give --checkpoint");
  LoadedModel m;
  m.config = config;
  interop::adopt_file_normalisation(m.config.model);
  m.model = builder::model(m.config);
  interop::load_initial_weights(*m.model, m.config.model);
  m.model->to(device);
  m.model->eval();
  return m;
}

std::vector<std::string> collect_images(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(p))
        if (data::is_image_file(e.path())) found.push_back(e.path().string());
      if (found.empty()) spdlog::warn("{}: no image files in this folder", p);
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p)) {
      files.push_back(p);
    } else {
      throw DataError(p + ": no such file or folder");
    }
  }
  if (files.empty()) {
    std::string inputs;
    for (const auto& p : paths) inputs += (inputs.empty() ? "" : ", ") + p;
    throw DataError(inputs + ": no image files found (looked for .jpg, .jpeg, .png, .bmp, .tif, .tiff, .webp)");
  }
  return files;
}

namespace {

// One image made ready for the network: its input (with tiling.infer, its views) and its size in pixels.
struct Prepared {
  at::Tensor input;
  eval::SlicePlan plan;
  int width = 0, height = 0;
};

Prepared prepare(const LoadedModel& m, const cv::Mat& rgb) {
  const auto& net = *m.model;
  Prepared p;
  p.width = rgb.cols, p.height = rgb.rows;
  if (m.config.tiling.infer) {
    p.plan = eval::plan_slices(rgb.cols, rgb.rows, net.image_size(), m.config.tiling);
    p.input = eval::slice_inputs(rgb, p.plan, net.image_size(), net.pixel_mean(), net.pixel_std(), net.resize_policy());
  } else {
    data::Sample s;
    s.image = rgb;
    p.input = data::prepare_for_eval(s, net.pixel_mean(), net.pixel_std(), net.image_size(), net.resize_policy()).image;
  }
  return p;
}

// Detections of prepared images: one forward pass for all of them; with tiling.infer, each image's views (tiles, then
// the whole image) in chunks of batch_size, merged into one list.
std::vector<std::vector<eval::Detection>> run_prepared(LoadedModel& m, const std::vector<Prepared>& images,
                                                       const std::vector<std::string>& ids,
                                                       const std::vector<config::PostprocessConfig>& post, int64_t batch_size,
                                                       c10::Device device) {
  torch::NoGradGuard no_grad;
  const auto& net = *m.model;
  std::vector<std::vector<eval::Detection>> found(images.size());
  if (images.empty()) return found;
  if (m.config.tiling.infer) {
    for (size_t k = 0; k < images.size(); ++k) {
      const auto& p = images[k];
      found[k] = eval::detect_sliced(m.model, p.input, p.plan, p.width, p.height, post[k], m.config.tiling, batch_size, device);
      for (auto& d : found[k]) d.image_id = ids[k];
    }
    return found;
  }
  std::vector<at::Tensor> inputs;
  for (const auto& p : images) inputs.push_back(p.input);
  const auto result = m.model->forward(at::stack(inputs).to(device));
  // Runs of images with the same settings are post-processed together (one image per thread inside).
  auto same = [](const config::PostprocessConfig& a, const config::PostprocessConfig& b) {
    return a.score_threshold == b.score_threshold && a.nms_iou == b.nms_iou && a.top_k_per_class == b.top_k_per_class &&
           a.max_per_image == b.max_per_image;
  };
  for (size_t begin = 0, end = 0; begin < images.size(); begin = end) {
    for (end = begin + 1; end < images.size() && same(post[end], post[begin]);) ++end;
    const auto from = static_cast<int64_t>(begin), to = static_cast<int64_t>(end);
    const auto dets = model::postprocess(result.loc.slice(0, from, to), result.conf.slice(0, from, to), net.priors(), net.box_coder(), post[begin]);
    for (size_t k = begin; k < end; ++k) {
      const auto& d = dets[k - begin];
      const cv::Size image_size(images[k].width, images[k].height);
      const auto boxes = data::input_boxes_to_image(d.boxes, image_size, data::cv_size(net.image_size()), net.resize_policy());
      found[k] = eval::to_pixel_detections(ids[k], boxes, d.scores, d.labels, image_size.width, image_size.height);
    }
  }
  return found;
}

}  // namespace

std::vector<std::vector<eval::Detection>> detect_images(LoadedModel& m, const std::vector<cv::Mat>& rgb, const std::vector<std::string>& ids,
                                                        const std::vector<config::PostprocessConfig>& post, int64_t batch_size,
                                                        c10::Device device) {
  if (ids.size() != rgb.size() || post.size() != rgb.size())
    throw std::invalid_argument("detect_images: " + std::to_string(rgb.size()) + " images, " + std::to_string(ids.size()) + " ids, " +
                                std::to_string(post.size()) + " settings");
  if (m.config.tiling.infer) {
    // One image's views at a time: they can be hundreds of MiB.
    std::vector<std::vector<eval::Detection>> found;
    for (size_t k = 0; k < rgb.size(); ++k)
      found.push_back(std::move(run_prepared(m, {prepare(m, rgb[k])}, {ids[k]}, {post[k]}, batch_size, device).front()));
    return found;
  }
  // Resizing is per image and independent: one image per thread.
  std::vector<Prepared> prepared(rgb.size());
  at::parallel_for(0, static_cast<int64_t>(rgb.size()), 1, [&](int64_t first, int64_t last) {
    for (int64_t k = first; k < last; ++k) prepared[k] = prepare(m, rgb[static_cast<size_t>(k)]);
  });
  return run_prepared(m, prepared, ids, post, batch_size, device);
}

void detect_files(LoadedModel& m, const std::vector<std::string>& files, int64_t batch_size, c10::Device device,
                  const OnImage& on_image) {
  // Sliced: one image at a time, its views run in chunks of batch_size (an image's views can be hundreds of MiB).
  const size_t group = m.config.tiling.infer ? 1 : static_cast<size_t>(batch_size);
  for (size_t begin = 0; begin < files.size(); begin += group) {
    const size_t end = std::min(files.size(), begin + group);
    // Decoding and resizing are per image and independent: one image per thread, which keeps only the network's input.
    std::vector<Prepared> prepared(end - begin);
    std::vector<char> decoded(end - begin, 0);
    at::parallel_for(0, static_cast<int64_t>(end - begin), 1, [&](int64_t first, int64_t last) {
      for (int64_t k = first; k < last; ++k) {
        const auto& file = files[begin + static_cast<size_t>(k)];
        bool truncated = false;
        const cv::Mat image = data::read_rgb_image(file, &truncated);
        if (image.empty()) continue;
        if (truncated) spdlog::warn("{}: truncated JPEG: used as far as it goes (libjpeg fills the rest grey)", file);
        prepared[k] = prepare(m, image);
        decoded[k] = 1;
      }
    });
    std::vector<Prepared> images;
    std::vector<std::string> ids;
    std::vector<size_t> which;
    for (size_t k = 0; k < prepared.size(); ++k)
      if (decoded[k]) images.push_back(std::move(prepared[k])), ids.push_back(fs::path(files[begin + k]).stem().string()), which.push_back(k);
    const std::vector<config::PostprocessConfig> post(images.size(), m.config.postprocess);
    auto dets = run_prepared(m, images, ids, post, batch_size, device);
    std::vector<std::vector<eval::Detection>> found(prepared.size());
    for (size_t j = 0; j < which.size(); ++j) found[which[j]] = std::move(dets[j]);
    for (size_t k = 0; k < prepared.size(); ++k) on_image(begin + k, std::move(found[k]), decoded[k] != 0);
  }
}

std::vector<std::vector<eval::Detection>> detect_files(LoadedModel& m, const std::vector<std::string>& files, int64_t batch_size,
                                                       c10::Device device, std::vector<size_t>* undecodable) {
  std::vector<std::vector<eval::Detection>> out(files.size());
  detect_files(m, files, batch_size, device, [&](size_t i, std::vector<eval::Detection> dets, bool decoded) {
    if (!decoded && undecodable) undecodable->push_back(i);
    out[i] = std::move(dets);
  });
  return out;
}

void draw_detections(cv::Mat& bgr, const std::vector<eval::Detection>& dets, const std::vector<std::string>& names, float min_score) {
  static const cv::Scalar palette[] = {{0, 200, 255}, {255, 128, 0}, {80, 220, 60}, {200, 60, 255}, {60, 60, 255},
                                       {255, 220, 0}, {0, 140, 255}, {180, 180, 30}, {140, 80, 200}, {30, 200, 160}};
  const int thickness = std::max(1, static_cast<int>(std::lround(std::max(bgr.cols, bgr.rows) / 300.0)));
  const double font = std::max(0.35, std::max(bgr.cols, bgr.rows) / 900.0);
  for (const auto& d : dets) {
    if (d.score < min_score) continue;
    const cv::Scalar color = palette[(d.label - 1) % 10];
    const cv::Point p1(static_cast<int>(d.x1), static_cast<int>(d.y1)), p2(static_cast<int>(d.x2), static_cast<int>(d.y2));
    cv::rectangle(bgr, p1, p2, color, thickness, cv::LINE_AA);
    char text[96];
    std::snprintf(text, sizeof(text), "%s %.2f", names[static_cast<size_t>(d.label - 1)].c_str(), d.score);
    int base = 0;
    const cv::Size ts = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font, 1, &base);
    const int top = std::max(0, p1.y - ts.height - base - 2);
    cv::rectangle(bgr, cv::Point(p1.x, top), cv::Point(p1.x + ts.width + 2, top + ts.height + base + 2), color, cv::FILLED);
    cv::putText(bgr, text, cv::Point(p1.x + 1, top + ts.height + 1), cv::FONT_HERSHEY_SIMPLEX, font, {0, 0, 0}, 1, cv::LINE_AA);
  }
}

}  // namespace ssd::detect
