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

/// data.train.* / data.val.*: where one split's images and annotations are.
struct SplitConfig {
  /// voc (VOCdevkit layout) or folder (images/ + annotations/ with matching stems, VOC XML).
  std::string format = "voc";
  /// Data set roots, e.g. [data/VOCdevkit/VOC2007, data/VOCdevkit/VOC2012]; several are concatenated.
  std::vector<std::string> roots;
  /// Split name per root (one name applies to all roots): ImageSets/Main/<split>.txt for voc; for folder,
  /// splits/<split>.txt when present, else a seeded split of all images into train / val (or all).
  std::vector<std::string> splits;
};

/// data.*: what the detector detects and where the images are.
struct DataConfig {
  /// Object class names, without background. The model has classes.size() + 1 outputs (index 0 = background).
  std::vector<std::string> classes = voc_class_names();
  SplitConfig train{"voc", {}, {"trainval"}};
  SplitConfig val{"voc", {}, {"test"}};
  /// Train on VOC "difficult" objects too (evaluation always keeps them, marked, as the devkit does).
  bool train_difficult = false;
  /// true: the first bad sample (missing or corrupt image, malformed XML, bad box) stops the run.
  bool strict = false;
  /// Loader worker threads; 0 = every core.
  int64_t workers = 0;
  /// Folder layout without split files: fraction of the images that form the val split.
  double val_fraction = 0.1;
};

/// augment.*: the SSD paper's training augmentation, applied in this order. Evaluation only resizes and normalises.
struct AugmentConfig {
  /// Probability of each photometric distortion (brightness, contrast, saturation, hue, channel swap).
  double photometric_prob = 0.5;
  /// Probability of zoom-out: the image is placed on a canvas up to expand_max_ratio times larger, filled with the mean.
  double expand_prob = 0.5;
  double expand_max_ratio = 4.0;
  /// Probability of an IoU-constrained random crop (torchvision draws "no crop" as one of 7 options: 6/7).
  double crop_prob = 0.857;
  /// Minimum IoU with some object, drawn uniformly per crop; 0 = any crop.
  std::vector<double> crop_min_ious = {0.0, 0.1, 0.3, 0.5, 0.7, 0.9};
  /// Probability of a horizontal flip.
  double flip_prob = 0.5;
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
  /// Channel multiplier of the backbone, its extra layers and SSD-Lite heads (1.0 = the paper's model).
  double width_mult = 1.0;
  /// Box-coding variances (centre, size): deltas are divided by them.
  std::vector<double> variances = {0.1, 0.2};
  /// A default box matches a ground-truth box when their IoU is at least this.
  double iou_threshold = 0.5;
  /// Per-channel RGB mean subtracted from 0..255 pixels (ImageNet's).
  std::vector<double> pixel_mean = {123.675, 116.28, 103.53};
  /// Per-channel RGB divisor applied after the mean.
  std::vector<double> pixel_std = {58.395, 57.12, 57.375};
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

/// solver.*: the optimizer.
struct SolverConfig {
  /// sgd, adam, adamw, rmsprop or adagrad.
  std::string optimizer = "sgd";
  /// LR0: the base learning rate (the SSD paper's 1e-3 with the loss normalised by the positives).
  double lr = 1e-3;
  /// SGD / RMSprop momentum.
  double momentum = 0.9;
  /// SGD Nesterov momentum.
  bool nesterov = false;
  /// L2 weight decay (decoupled for AdamW).
  double weight_decay = 5e-4;
  /// Adam / AdamW betas.
  std::vector<double> betas = {0.9, 0.999};
  /// Adam / AdamW / RMSprop / Adagrad epsilon.
  double eps = 1e-8;
  /// Gradient clipping by global L2 norm; 0 = off.
  double clip_grad_norm = 0.0;
};

/// schedule.*: the learning rate over the run (lr = LR0 x warm-up factor x decay).
struct ScheduleConfig {
  /// multistep (decay by gamma at each milestone) or constant.
  std::string name = "multistep";
  /// Milestones in iterations; empty = milestone_fractions of the run.
  std::vector<double> milestones;
  /// Milestones as fractions of the total iterations when milestones is empty (the paper's 80k and 100k of 120k).
  std::vector<double> milestone_fractions = {2.0 / 3.0, 5.0 / 6.0};
  /// Decay factor at each milestone.
  double gamma = 0.1;
  /// Warm-up length in iterations; 0 = none.
  int64_t warmup_iters = 500;
  /// Warm-up: linear or constant.
  std::string warmup_method = "linear";
  /// Factor of LR0 at iteration 0 of the warm-up.
  double warmup_start_factor = 0.001;
};

/// train.*: the run.
struct TrainConfig {
  /// Run directory: checkpoints, train.log, metrics.csv, plots, the resolved config.
  std::string run_dir = "runs/train";
  int64_t epochs = 12;
  int64_t batch_size = 32;
  /// Iterations between progress lines and metrics.csv rows.
  int64_t log_period = 20;
  /// Epochs between validation mAP evaluations; 0 = only at the end.
  int64_t eval_period = 1;
  /// Epochs between numbered checkpoints (last.pt is written every epoch); 0 = none.
  int64_t checkpoint_period = 0;
  /// Stop after this many iterations in total; 0 = run all epochs (for tests and smoke runs).
  int64_t max_iters = 0;
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
  AugmentConfig augment;
  ModelConfig model;
  LossConfig loss;
  SolverConfig solver;
  ScheduleConfig schedule;
  TrainConfig train;
  PostprocessConfig postprocess;
  RuntimeConfig runtime;
};

}  // namespace ssd::config
