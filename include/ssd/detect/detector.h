#pragma once
// Checkpoint -> model ready for inference -> detections on image files.
#include <functional>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/eval/voc_eval.h"
#include "ssd/model/ssd.h"

namespace ssd::detect {

struct LoadedModel {
  config::Config config;  ///< the checkpoint's config with the overrides applied
  model::Ssd model{nullptr};
};

/// Builds the model from the checkpoint's stored config (plus overrides); `checkpoint` is a file or a run directory
/// (its best.pt, else last.pt), loads its weights, moves it to device,
/// eval mode. Throws CheckpointError / ConfigError.
LoadedModel load_model(const std::string& checkpoint, const std::vector<std::string>& overrides, c10::Device device);

/// Builds the model that the config describes with the weights model.init_from names (a torchvision SSD checkpoint
/// run as it is), on device, eval mode. ConfigError when model.init_from is empty.
LoadedModel load_model_from_config(const config::Config& config, c10::Device device);

/// Image files from paths that are files or folders (folders: the images data::is_image_file knows, sorted; a folder
/// without any is a warning). DataError naming the path when one does not exist, or naming the inputs when none holds
/// an image.
std::vector<std::string> collect_images(const std::vector<std::string>& paths);

/// Detections for decoded RGB images in their own pixels (image_id = ids[k]), each post-processed with its own
/// settings (post[k]: ssd-serve's requests each carry theirs). One forward pass for all of them; with tiling.infer,
/// each image's views in chunks of batch_size. detect_files below runs through this after decoding.
std::vector<std::vector<eval::Detection>> detect_images(LoadedModel& loaded, const std::vector<cv::Mat>& rgb,
                                                        const std::vector<std::string>& ids,
                                                        const std::vector<config::PostprocessConfig>& post, int64_t batch_size,
                                                        c10::Device device);

/// Detections for each image in original pixels (image_id = file stem). The images that cannot be decoded get no
/// detections and their indices into `files` in `undecodable`.
std::vector<std::vector<eval::Detection>> detect_files(LoadedModel& loaded, const std::vector<std::string>& files,
                                                       int64_t batch_size, c10::Device device, std::vector<size_t>* undecodable);

/// The same, handed over a batch at a time and kept nowhere (ssd-detect on any number of images in bounded memory):
/// on_image(index into files, its detections, whether it decoded) for every file, in order.
using OnImage = std::function<void(size_t index, std::vector<eval::Detection> detections, bool decoded)>;
void detect_files(LoadedModel& loaded, const std::vector<std::string>& files, int64_t batch_size, c10::Device device,
                  const OnImage& on_image);

/// Draws boxes with class name and score on an RGB or BGR image (colour per class).
void draw_detections(cv::Mat& bgr, const std::vector<eval::Detection>& detections, const std::vector<std::string>& class_names,
                     float min_score);

}  // namespace ssd::detect
