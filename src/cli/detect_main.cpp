// ssd-detect: checkpoint + images -> annotated images and COCO-results JSON.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <optional>
#include <opencv2/imgcodecs.hpp>

#include "cli/common.h"
#include "ssd/config/load.h"
#include "ssd/data/formats/coco.h"
#include "ssd/data/image_decode.h"
#include "ssd/detect/detector.h"
#include "ssd/detect/onnx_detector.h"
#include "ssd/eval/detections_json.h"
#include "ssd/eval/sliced_inference.h"
#include "ssd/runtime/runtime.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace {

struct DetectOptions {
  ssd::cli::CommonOptions common;
  std::string checkpoint, output, json_out, coco_categories, onnx, backend;
  std::vector<std::string> inputs;
  double score_thresh = -1, nms_iou = -1, draw_thresh = 0.5;
  int64_t top_k = -1, batch = 8;
};

void add_detect_options(CLI::App& app, DetectOptions& o) {
  ssd::cli::add_config_options(app, o.common, /*with_config_file=*/true);
  ssd::cli::add_slicing_options(app, o.common);
  app.add_option("--checkpoint", o.checkpoint,
                 "Checkpoint file or run directory (its best.pt if present, else last.pt); without it, --config builds the model "
                 "and model.init_from names its weights (a torchvision SSD checkpoint)");
  app.add_option("--onnx", o.onnx,
                 "An ONNX file of ssd-export --format onnx (its .json side file beside it), run by OpenCV's DNN module instead of "
                 "a checkpoint: no LibTorch in the network's forward pass");
  app.add_option("--backend", o.backend,
                 "What runs the network: libtorch (a checkpoint or --config; the default) or opencv-dnn (--onnx, which implies it)")
      ->check(CLI::IsMember({"libtorch", "opencv-dnn"}));
  app.add_option("inputs", o.inputs, "Image files or folders");
  app.add_option("--output", o.output, "Folder for annotated images (boxes with class name and score)");
  app.add_option("--json-out", o.json_out, "Write all detections as COCO results JSON");
  app.add_option("--coco-categories", o.coco_categories,
                 "COCO instances JSON whose category ids --json-out writes (matched by name; numeric file stems become "
                 "numeric image ids). Default: the training annotations of a model trained with data.train.format: coco");
  app.add_option("--score-thresh", o.score_thresh, "Keep detections scoring above this (default: postprocess.score_threshold)");
  app.add_option("--nms-iou", o.nms_iou, "Per-class NMS IoU (default: postprocess.nms_iou)");
  app.add_option("--top-k", o.top_k, "Detections kept per image (default: postprocess.max_per_image)");
  app.add_option("--draw-thresh", o.draw_thresh, "Smallest score drawn on the annotated images")->capture_default_str();
  app.add_option("--batch", o.batch, "Images per forward pass (tiles per forward pass with --sliced)")->check(CLI::PositiveNumber)->capture_default_str();
}

ssd::detect::LoadedModel load(const DetectOptions& o) {
  auto overrides = ssd::cli::all_overrides(o.common);
  if (o.score_thresh >= 0) overrides.push_back("postprocess.score_threshold=" + std::to_string(o.score_thresh));
  if (o.nms_iou >= 0) overrides.push_back("postprocess.nms_iou=" + std::to_string(o.nms_iou));
  if (o.top_k > 0) overrides.push_back("postprocess.max_per_image=" + std::to_string(o.top_k));
  if (!o.checkpoint.empty()) return ssd::detect::load_model(o.checkpoint, overrides, c10::Device(c10::kCPU));
  if (!o.common.config_path.empty())
    return ssd::detect::load_model_from_config(ssd::config::load_config(o.common.config_path, overrides), c10::Device(c10::kCPU));
  throw ssd::ConfigError("ssd-detect: give --checkpoint (a trained run) or --config with model.init_from (torchvision weights)");
}

// The COCO ids --json-out writes: --coco-categories, else the training annotations of a model trained on COCO data.
std::optional<ssd::eval::CocoIds> coco_ids(const DetectOptions& o, const ssd::config::Config& config) {
  std::string categories = o.coco_categories;
  const auto& train = config.data.train;
  if (categories.empty() && train.format == "coco" && !train.roots.empty()) {
    const auto candidate = ssd::data::coco_paths(train.roots[0], train.splits.at(0)).first;
    if (fs::exists(candidate)) categories = candidate;
    else spdlog::warn("{}: not found; category_id is the 1-based class index (give --coco-categories for COCO's ids)", candidate);
  }
  if (categories.empty()) return std::nullopt;
  spdlog::info("writing COCO category ids from {}", categories);
  return ssd::eval::coco_ids_for_classes(categories, config.data.classes);
}

// One line per image; with --output, the image annotated with its detections.
void report_image(const DetectOptions& o, const std::vector<std::string>& classes, const std::string& file,
                  const std::vector<ssd::eval::Detection>& dets) {
  size_t shown = 0;
  for (const auto& d : dets) shown += d.score >= o.draw_thresh;
  spdlog::info("{}: {} detections, {} with score >= {}", file, dets.size(), shown, o.draw_thresh);
  if (o.output.empty()) return;
  cv::Mat bgr = ssd::data::read_bgr_image(file);
  if (bgr.empty()) return;
  ssd::detect::draw_detections(bgr, dets, classes, static_cast<float>(o.draw_thresh));
  const auto out = (fs::path(o.output) / (fs::path(file).stem().string() + ".jpg")).string();
  if (!cv::imwrite(out, bgr)) throw ssd::DataError(out + ": cannot write");
}

// Where each image's detections go, whichever network found them: a log line, the annotated image (--output), the JSON
// file (--json-out). Written as they come and then dropped: memory stays that of a batch however many images there are.
class Outputs {
 public:
  Outputs(const DetectOptions& o, std::vector<std::string> classes, std::optional<ssd::eval::CocoIds> ids)
      : o_(o), classes_(std::move(classes)), ids_(std::move(ids)) {
    if (!o.output.empty()) fs::create_directories(o.output);  // first: --json-out may lie in it
    if (!o.json_out.empty()) json_.emplace(o.json_out, classes_, ids_ ? &*ids_ : nullptr);
  }

  void add(const std::string& file, const std::vector<ssd::eval::Detection>& dets, bool decoded) {
    if (!decoded) {
      ++undecodable_;
      spdlog::warn("skipped {}: cannot decode image", file);
      return;
    }
    report_image(o_, classes_, file, dets);
    if (json_) json_->add(dets);
  }

  /// Puts the JSON file in place; the exit code: a data error when not one of the `files` images decoded.
  int finish(size_t files) {
    if (!o_.output.empty()) spdlog::info("annotated images in {}", o_.output);
    if (json_) {
      json_->commit();
      spdlog::info("wrote {} detections to {}", json_->count(), o_.json_out);
    }
    return undecodable_ == files ? static_cast<int>(ssd::kExitData) : 0;
  }

 private:
  const DetectOptions& o_;
  std::vector<std::string> classes_;
  std::optional<ssd::eval::CocoIds> ids_;  // before json_: the writer keeps a pointer to it
  std::optional<ssd::eval::DetectionsJsonWriter> json_;
  size_t undecodable_ = 0;
};

// --onnx: the exported network on OpenCV's DNN module, one image at a time.
int detect_onnx(const DetectOptions& o) {
  if (!o.checkpoint.empty() || !o.common.config_path.empty())
    throw ssd::ConfigError("--onnx runs the ONNX file alone: give it without --checkpoint or --config");
  if (o.backend == "libtorch") throw ssd::ConfigError("--onnx runs on OpenCV's DNN module: --backend libtorch takes a checkpoint instead");
  if (!o.common.overrides.empty())
    throw ssd::ConfigError("--set: an ONNX file has no config; --score-thresh, --nms-iou and --top-k change its post-processing");
  if (o.onnx.empty()) throw ssd::ConfigError("--backend opencv-dnn: give the ONNX file (--onnx model.onnx, from ssd-export --format onnx)");
  ssd::detect::OnnxDetector detector(o.onnx);
  auto& post = detector.postprocess();
  if (o.score_thresh >= 0) post.score_threshold = o.score_thresh;
  if (o.nms_iou >= 0) post.nms_iou = o.nms_iou;
  if (o.top_k > 0) post.max_per_image = o.top_k;
  const auto files = ssd::detect::collect_images(o.inputs);
  spdlog::info("{}: OpenCV's DNN module, {} classes", o.onnx, detector.classes().size());
  std::optional<ssd::eval::CocoIds> ids;
  if (!o.json_out.empty() && !o.coco_categories.empty()) ids = ssd::eval::coco_ids_for_classes(o.coco_categories, detector.classes());
  Outputs outputs(o, detector.classes(), std::move(ids));
  for (const auto& file : files) {
    const cv::Mat image = ssd::data::read_rgb_image(file);
    outputs.add(file, image.empty() ? std::vector<ssd::eval::Detection>() : detector.detect(image, fs::path(file).stem().string()),
                !image.empty());
  }
  return outputs.finish(files.size());
}

int detect(const DetectOptions& o) {
  // Checked before the model loads (only --print-config needs no images).
  if (o.inputs.empty() && !o.common.print_config) throw ssd::ConfigError("give the image files or folders to run on");
  if (!o.onnx.empty() || o.backend == "opencv-dnn") return detect_onnx(o);
  auto loaded = load(o);
  if (ssd::cli::handle_print_config(o.common, loaded.config)) return 0;
  c10::Device device(c10::kCPU);
  spdlog::info("{}", ssd::runtime::apply_runtime(loaded.config.runtime, &device));
  if (loaded.config.tiling.infer)
    spdlog::info("{}", ssd::eval::describe_slicing(loaded.config.tiling, loaded.config.model.image_size));
  ssd::runtime::place_model(*loaded.model, loaded.config.runtime.memory_format, loaded.config.train.amp, device);
  const auto files = ssd::detect::collect_images(o.inputs);
  Outputs outputs(o, loaded.config.data.classes, o.json_out.empty() ? std::nullopt : coco_ids(o, loaded.config));
  ssd::detect::detect_files(loaded, files, o.batch, device, [&](size_t i, std::vector<ssd::eval::Detection> dets, bool decoded) {
    outputs.add(files[i], dets, decoded);
  });
  return outputs.finish(files.size());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-detect: run an SSD checkpoint on images; writes annotated images and COCO-results JSON.\n\n"
      "Examples:\n"
      "  ssd-detect --checkpoint runs/shapes/best.pt data/generated/shapes/JPEGImages/000800.jpg --output out/\n"
      "  ssd-detect --checkpoint runs/shapes images/ --json-out dets.json     # then: ssd-eval --dets dets.json ...\n"
      "  ssd-detect --config configs/torchvision_ssd300_coco.yaml photo.jpg --output out/   # torchvision's COCO SSD300\n"
      "  ssd-detect --onnx ssd300.onnx images/ --json-out dets.json   # ssd-export --format onnx's file on OpenCV's DNN\n\n"
      "JSON boxes are [x, y, w, h] in original image pixels (0-based); image_id is the file stem and category_id\n"
      "the 1-based class index, or COCO's own ids for a model trained on COCO data (--coco-categories).",
      "ssd-detect"};
  DetectOptions o;
  add_detect_options(app, o);
  return ssd::cli::run_tool("ssd-detect", app, argc, argv, [&] { return detect(o); });
}
