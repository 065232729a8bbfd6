// ssd-detect: checkpoint + images -> annotated images and COCO-results JSON.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <opencv2/imgcodecs.hpp>

#include "cli/common.h"
#include "ssd/config/load.h"
#include "ssd/data/coco.h"
#include "ssd/data/image_decode.h"
#include "ssd/detect/detector.h"
#include "ssd/engine/runtime.h"
#include "ssd/eval/detections_json.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-detect: run an SSD checkpoint on images; writes annotated images and COCO-results JSON.\n\n"
      "Examples:\n"
      "  ssd-detect --checkpoint runs/shapes/best.pt data/generated/shapes/JPEGImages/000800.jpg --output out/\n"
      "  ssd-detect --checkpoint runs/shapes images/ --json-out dets.json     # then: ssd-eval --dets dets.json ...\n"
      "  ssd-detect --config configs/torchvision_ssd300_coco.yaml photo.jpg --output out/   # torchvision's COCO SSD300\n\n"
      "JSON boxes are [x, y, w, h] in original image pixels (0-based); image_id is the file stem and category_id\n"
      "the 1-based class index, or COCO's own ids for a model trained on COCO data (--coco-categories).",
      "ssd-detect"};
  ssd::cli::CommonOptions common;
  ssd::cli::add_common_options(app, common);
  std::string checkpoint, output, json_out, coco_categories;
  std::vector<std::string> inputs;
  double score_thresh = -1, nms_iou = -1, draw_thresh = 0.5;
  int64_t top_k = -1, batch = 8;
  app.add_option("--checkpoint", checkpoint,
                 "Checkpoint file or run directory (its best.pt if present, else last.pt); without it, --config builds the model "
                 "and model.init_from names its weights (a torchvision SSD checkpoint)");
  app.add_option("inputs", inputs, "Image files or folders")->required();
  app.add_option("--output", output, "Folder for annotated images (boxes with class name and score)");
  app.add_option("--json-out", json_out, "Write all detections as COCO results JSON");
  app.add_option("--coco-categories", coco_categories,
                 "COCO instances JSON whose category ids --json-out writes (matched by name; numeric file stems become "
                 "numeric image ids). Default: the training annotations of a model trained with data.train.format: coco");
  app.add_option("--score-thresh", score_thresh, "Keep detections scoring above this (default: postprocess.score_threshold)");
  app.add_option("--nms-iou", nms_iou, "Per-class NMS IoU (default: postprocess.nms_iou)");
  app.add_option("--top-k", top_k, "Detections kept per image (default: postprocess.max_per_image)");
  app.add_option("--draw-thresh", draw_thresh, "Smallest score drawn on the annotated images")->capture_default_str();
  app.add_option("--batch", batch, "Images per forward pass")->check(CLI::PositiveNumber)->capture_default_str();

  return ssd::cli::run_tool("ssd-detect", app, argc, argv, [&]() -> int {
    auto overrides = ssd::cli::all_overrides(common);
    if (score_thresh >= 0) overrides.push_back("postprocess.score_threshold=" + std::to_string(score_thresh));
    if (nms_iou >= 0) overrides.push_back("postprocess.nms_iou=" + std::to_string(nms_iou));
    if (top_k > 0) overrides.push_back("postprocess.max_per_image=" + std::to_string(top_k));
    ssd::detect::LoadedModel loaded;
    if (!checkpoint.empty()) {
      loaded = ssd::detect::load_model(checkpoint, overrides, c10::Device(c10::kCPU));
    } else if (!common.config_path.empty()) {
      loaded = ssd::detect::load_model_from_config(ssd::config::load_config(common.config_path, overrides), c10::Device(c10::kCPU));
    } else {
      throw ssd::ConfigError("ssd-detect: give --checkpoint (a trained run) or --config with model.init_from (torchvision weights)");
    }
    c10::Device device(c10::kCPU);
    spdlog::info("{}", ssd::engine::apply_runtime(loaded.config.runtime, &device));
    ssd::engine::place_model(*loaded.model, loaded.config, device);
    const auto files = ssd::detect::collect_images(inputs);
    std::vector<std::string> skipped;
    const auto per_image = ssd::detect::detect_files(loaded, files, batch, device, &skipped);
    std::vector<ssd::eval::Detection> all;
    if (!output.empty()) fs::create_directories(output);
    for (size_t i = 0; i < files.size(); ++i) {
      all.insert(all.end(), per_image[i].begin(), per_image[i].end());
      size_t shown = 0;
      for (const auto& d : per_image[i]) shown += d.score >= draw_thresh;
      spdlog::info("{}: {} detections, {} with score >= {}", files[i], per_image[i].size(), shown, draw_thresh);
      if (!output.empty()) {
        cv::Mat bgr = ssd::data::read_bgr_image(files[i]);
        if (bgr.empty()) continue;
        ssd::detect::draw_detections(bgr, per_image[i], loaded.config.data.classes, static_cast<float>(draw_thresh));
        const auto out = (fs::path(output) / (fs::path(files[i]).stem().string() + ".jpg")).string();
        if (!cv::imwrite(out, bgr)) throw ssd::DataError(out + ": cannot write");
      }
    }
    for (const auto& s : skipped) spdlog::warn("skipped {}", s);
    if (!json_out.empty()) {
      const auto& train = loaded.config.data.train;
      if (coco_categories.empty() && train.format == "coco" && !train.roots.empty()) {
        const auto candidate = ssd::data::coco_paths(train.roots[0], train.splits.at(0)).first;
        if (fs::exists(candidate)) coco_categories = candidate;
        else spdlog::warn("{}: not found; category_id is the 1-based class index (give --coco-categories for COCO's ids)", candidate);
      }
      std::optional<ssd::eval::CocoIds> coco_ids;
      if (!coco_categories.empty()) {
        coco_ids.emplace();
        const auto& names = loaded.config.data.classes;
        for (const auto& [id, name] : ssd::data::read_coco_categories(coco_categories)) {
          const auto it = std::find(names.begin(), names.end(), name);
          if (it != names.end()) coco_ids->category_of_label[(it - names.begin()) + 1] = id;
        }
        if (coco_ids->category_of_label.size() != names.size())
          throw ssd::DataError(coco_categories + ": categories name " + std::to_string(coco_ids->category_of_label.size()) + " of the model's " +
                               std::to_string(names.size()) + " classes; every class needs a COCO category of the same name");
        spdlog::info("writing COCO category ids from {}", coco_categories);
      }
      ssd::eval::write_detections_json(json_out, all, loaded.config.data.classes, coco_ids ? &*coco_ids : nullptr);
      spdlog::info("wrote {} detections to {}", all.size(), json_out);
    }
    if (!output.empty()) spdlog::info("annotated images in {}", output);
    return skipped.size() == files.size() ? static_cast<int>(ssd::kExitData) : 0;
  });
}
