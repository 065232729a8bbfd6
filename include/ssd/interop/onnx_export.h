#pragma once
// ssd-export --format onnx: the network as an ONNX file that runs without Python or LibTorch (OpenCV's DNN module:
// ssd-detect --onnx; ONNX Runtime; TensorRT), and beside it a JSON file with what the network leaves out.
//
// The graph: input "images" [N, 3, H, W], RGB, float pixel values 0..255, stretched to the model's input size; the
// model's normalisation is inside. Outputs: "loc" [N, P, 4] box offsets and "conf" [N, P, C] class logits (class 0
// the background), one row per default box. Post-processing (not in the graph, as torchvision's own export leaves it
// out too): softmax over conf; decode loc against the default boxes (cx, cy, w, h, normalised):
//   cx = p_cx + loc_x * v0 * p_w,  cy likewise,  w = p_w * exp(loc_w * v1),  h likewise
// with the variances (v0, v1); then per class a score threshold, top-k and NMS, and the best max_per_image overall;
// boxes times the image's width and height. The side file <name>.json holds the default boxes, the variances, the
// class names and the checkpoint's post-processing settings.
//
// The graph is made by torch.onnx.export from torchvision's model of the same network (ssd-export's state dict and
// loader script), in the Python given (it needs torch, torchvision and onnx): C++ LibTorch has no ONNX exporter.
// Opset 10, with equal weights stored once each (OpenCV 4.6's importer takes neither later Clip nodes nor the shared
// initializers that torch.onnx writes as Identity nodes).
#include <string>

#include "ssd/config/config.h"
#include "ssd/model/ssd.h"

namespace ssd::interop {

/// Writes `out` (the .onnx file) and its side file (the same name with .json), each whole or not at all. DataError
/// for a model torchvision cannot hold (see export_torchvision_ssd), or when the Python side fails (its message
/// included).
void export_onnx(model::SsdImpl& model, const config::Config& config, const std::string& out, const std::string& python);

/// The side file's name for an ONNX file: model.onnx -> model.json.
std::string onnx_side_file(const std::string& onnx);

}  // namespace ssd::interop
