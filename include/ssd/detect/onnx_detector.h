#pragma once
// An ONNX file of ssd-export --format onnx, run by OpenCV's DNN module: the network without Python or LibTorch, the
// post-processing the product's own over the side file's default boxes (interop/onnx_export.h describes both files).
// ssd-detect --onnx uses it; it gives ssd-detect --checkpoint's detections within float rounding.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include "ssd/config/config.h"
#include "ssd/eval/voc_eval.h"

namespace ssd::detect {

class OnnxDetector {
 public:
  /// Reads `onnx` and its side file (model.onnx -> model.json). DataError naming the file that is missing, unreadable
  /// or not of this format.
  explicit OnnxDetector(const std::string& onnx);
  ~OnnxDetector();
  OnnxDetector(const OnnxDetector&) = delete;
  OnnxDetector& operator=(const OnnxDetector&) = delete;

  const std::vector<std::string>& classes() const;
  /// The checkpoint's settings from the side file; callers may change them (ssd-detect --score-thresh & co.).
  config::PostprocessConfig& postprocess();

  /// The network's raw outputs (loc [1, P, 4], conf [1, P, C]) for one input [1, 3, H, W] of 0..255 RGB values at the
  /// input size.
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& input);

  /// Detections on an RGB image in its own pixels (image_id = id). One image per forward pass.
  std::vector<eval::Detection> detect(const cv::Mat& rgb, const std::string& id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssd::detect
