#pragma once
// Typed configuration: one struct per section, each field with its default and one line of meaning.
// The YAML key of every field, its validator and its consumer are listed once, in src/config/schema.cpp;
// docs/config.md is generated from that table (ssd-train --config-reference) and a test keeps it in step.
#include <cstdint>
#include <string>
#include <vector>

namespace ssd::config {

/// The 20 Pascal VOC classes, in the devkit's order.
std::vector<std::string> voc_class_names();

/// data.*: what the detector detects. The loaders of the data issue extend this section.
struct DataConfig {
  /// Object class names, without background. The model has classes.size() + 1 outputs (index 0 = background).
  std::vector<std::string> classes = voc_class_names();
};

/// model.priors.*: default boxes. Empty lists mean "take the value from the preset".
struct PriorConfig {
  /// auto = the backbone's own preset for its image size (vgg16: ssd300 / ssd512; mobilenet_v2: ssdlite);
  /// ssd300 / ssd512 = the SSD paper's tables; scales = the paper's linear s_min..s_max rule.
  std::string preset = "auto";
  /// Square box side per feature map, in input pixels.
  std::vector<double> min_sizes;
  /// Second square box side sqrt(min * max) per feature map, in input pixels.
  std::vector<double> max_sizes;
  /// Extra aspect ratios per feature map; each r adds boxes r:1 and 1:r.
  std::vector<std::vector<double>> aspect_ratios;
  /// Distance between box centres per feature map, in input pixels; empty = image_size / feature-map size.
  std::vector<double> steps;
  /// Smallest scale (fraction of the input side) for preset "scales".
  double s_min = 0.2;
  /// Largest scale for preset "scales".
  double s_max = 0.95;
  /// Centre of the first box in units of the step (0.5 = centre of the cell).
  double offset = 0.5;
  /// Clip box widths and heights to the image side (centres are never moved).
  bool clip = true;
};

/// model.*: architecture.
struct ModelConfig {
  /// Backbone name from the backbone registry (ssd-train --list-backbones).
  std::string backbone = "vgg16";
  /// Head name from the head registry; auto = the backbone's usual head (vgg16: ssd, mobilenet_v2: ssdlite).
  std::string head = "auto";
  /// Square input side in pixels.
  int64_t image_size = 300;
  /// Channel multiplier of MobileNet backbones, their extra layers and SSD-Lite heads.
  double width_mult = 1.0;
  /// Box-coding variances (centre, size): deltas are divided by them.
  std::vector<double> variances = {0.1, 0.2};
  /// A default box matches a ground-truth box when their IoU is at least this.
  double iou_threshold = 0.5;
  PriorConfig priors;
};

/// loss.*: training objective.
struct LossConfig {
  /// Loss name from the loss registry: multibox (hard negative mining) or focal.
  std::string name = "multibox";
  /// multibox: negatives kept per positive default box.
  double neg_pos_ratio = 3.0;
  /// Weight of the localisation term against the confidence term.
  double loc_weight = 1.0;
  /// focal: weight of the foreground classes (background gets 1 - alpha).
  double focal_alpha = 0.25;
  /// focal: focusing exponent gamma.
  double focal_gamma = 2.0;
};

/// postprocess.*: from raw outputs to detections.
struct PostprocessConfig {
  /// Class scores below this are dropped before NMS.
  double score_threshold = 0.01;
  /// Per-class NMS: a box is suppressed when its IoU with a higher-scoring box exceeds this.
  double nms_iou = 0.45;
  /// Candidates per class kept (highest scores first) before NMS.
  int64_t top_k_per_class = 200;
  /// Detections kept per image after NMS.
  int64_t max_per_image = 200;
};

/// runtime.*: where and how the computation runs.
struct RuntimeConfig {
  /// auto (CUDA when available, else CPU), cpu, cuda or cuda:N.
  std::string device = "auto";
  /// Intra-op CPU threads; 0 = every core of the machine.
  int64_t threads = 0;
  /// Seed of every random number generator.
  int64_t seed = 1;
};

struct Config {
  DataConfig data;
  ModelConfig model;
  LossConfig loss;
  PostprocessConfig postprocess;
  RuntimeConfig runtime;
};

}  // namespace ssd::config
