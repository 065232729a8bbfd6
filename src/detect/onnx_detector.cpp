#include "ssd/detect/onnx_detector.h"

#include <ATen/ATen.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>

#include "ssd/data/augment.h"
#include "ssd/data/input_fit.h"
#include "ssd/eval/evaluator.h"
#include "ssd/interop/onnx_export.h"
#include "ssd/model/box_coder.h"
#include "ssd/model/postprocess.h"
#include "ssd/util/error.h"

namespace ssd::detect {

struct OnnxDetector::Impl {
  cv::dnn::Net net;
  std::vector<std::string> classes;
  config::PostprocessConfig post;
  config::ImageSize size;
  at::Tensor priors;
  std::unique_ptr<model::BoxCoder> coder;
};

OnnxDetector::OnnxDetector(const std::string& onnx) : impl_(std::make_unique<Impl>()) {
  const std::string side_path = interop::onnx_side_file(onnx);
  if (!std::filesystem::exists(onnx)) throw DataError(onnx + ": no such file");
  std::ifstream in(side_path);
  if (!in) throw DataError(side_path + ": not found; ssd-export --format onnx writes it beside the .onnx file (default boxes, classes)");
  nlohmann::json side;
  try {
    side = nlohmann::json::parse(in);
    if (side.value("format", "") != "ssd-trainer onnx 1") throw DataError(side_path + ": not the side file of ssd-export --format onnx");
    impl_->classes = side.at("classes").get<std::vector<std::string>>();
    const auto& shape = side.at("input").at("shape");
    impl_->size = config::ImageSize(shape.at(3).get<int64_t>(), shape.at(2).get<int64_t>());
    const auto& p = side.at("postprocess");
    impl_->post.score_threshold = p.at("score_threshold").get<double>();
    impl_->post.nms_iou = p.at("nms_iou").get<double>();
    impl_->post.top_k_per_class = p.at("top_k_per_class").get<int64_t>();
    impl_->post.max_per_image = p.at("max_per_image").get<int64_t>();
    const auto variances = side.at("variances").get<std::vector<double>>();
    impl_->coder = std::make_unique<model::BoxCoder>(variances.at(0), variances.at(1));
    const auto boxes = side.at("default_boxes").get<std::vector<std::array<float, 4>>>();
    impl_->priors = at::empty({static_cast<int64_t>(boxes.size()), 4}, at::kFloat);
    std::memcpy(impl_->priors.data_ptr<float>(), boxes.data(), boxes.size() * sizeof(boxes[0]));
  } catch (const nlohmann::json::exception& e) {
    throw DataError(side_path + ": " + e.what());
  }
  try {
    impl_->net = cv::dnn::readNetFromONNX(onnx);
  } catch (const cv::Exception& e) {
    throw DataError(onnx + ": OpenCV's DNN module cannot read it: " + e.what());
  }
  impl_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  impl_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
}

OnnxDetector::~OnnxDetector() = default;

const std::vector<std::string>& OnnxDetector::classes() const { return impl_->classes; }

config::PostprocessConfig& OnnxDetector::postprocess() { return impl_->post; }

std::pair<at::Tensor, at::Tensor> OnnxDetector::forward(const at::Tensor& batch) {
  auto& m = *impl_;
  const at::Tensor input = batch.to(at::kFloat).contiguous();
  if (input.dim() != 4 || input.size(0) != 1 || input.size(1) != 3 || input.size(2) != m.size.height || input.size(3) != m.size.width)
    throw std::invalid_argument("OnnxDetector::forward: an input [1, 3, " + std::to_string(m.size.height) + ", " +
                                std::to_string(m.size.width) + "]");
  const int dims[] = {1, 3, static_cast<int>(m.size.height), static_cast<int>(m.size.width)};
  m.net.setInput(cv::Mat(4, dims, CV_32F, const_cast<float*>(input.data_ptr<float>())));
  std::vector<cv::Mat> outs;
  m.net.forward(outs, std::vector<cv::String>{"loc", "conf"});
  const int64_t boxes = m.priors.size(0), classes = static_cast<int64_t>(m.classes.size()) + 1;
  if (outs.size() != 2 || static_cast<int64_t>(outs[0].total()) != boxes * 4 || static_cast<int64_t>(outs[1].total()) != boxes * classes)
    throw DataError("the ONNX file's outputs do not fit its side file's " + std::to_string(boxes) + " default boxes and " +
                    std::to_string(classes - 1) + " classes");
  return {at::from_blob(outs[0].ptr<float>(), {1, boxes, 4}, at::kFloat).clone(),
          at::from_blob(outs[1].ptr<float>(), {1, boxes, classes}, at::kFloat).clone()};
}

std::vector<eval::Detection> OnnxDetector::detect(const cv::Mat& rgb, const std::string& id) {
  auto& m = *impl_;
  // The input as ssd-detect makes it (the same resize), left at 0..255: the graph normalises.
  data::Sample sample;
  sample.image = rgb;
  const at::Tensor input = data::prepare_for_eval(sample, {0.0, 0.0, 0.0}, {1.0, 1.0, 1.0}, m.size, "stretch").image;
  const auto [loc, conf] = forward(input.unsqueeze(0));
  const auto dets = model::postprocess(loc, conf, m.priors, *m.coder, m.post);
  const cv::Size image_size(rgb.cols, rgb.rows);
  const auto pixels = data::input_boxes_to_image(dets[0].boxes, image_size, data::cv_size(m.size), "stretch");
  return eval::to_pixel_detections(id, pixels, dets[0].scores, dets[0].labels, image_size.width, image_size.height);
}

}  // namespace ssd::detect
