#pragma once
// Typed configuration: one struct per section of the YAML, each field with its default. What a field means, the key
// that sets it, what it accepts and which code reads it are written once, in its row of the key table
// (src/config/schema.cpp; a plug-in's own parameters in the plug-in's file, see config/plugin_params.h), and
// docs/config.md is generated from those rows (ssd-train --config-reference; a test keeps the two in step).
// To find a key: grep its dotted name; the row names the field and its consumer.
#include <cstdint>
#include <string>
#include <vector>

#include "ssd/config/plugin_params.h"

namespace ssd::config {

/// The 20 Pascal VOC classes, in the devkit's order.
std::vector<std::string> voc_class_names();

/// data.train.* / data.val.*: where one split's images and annotations are.
struct SplitConfig {
  std::string format = "voc";
  std::vector<std::string> roots;
  std::vector<std::string> splits;
};

/// data.*: what the detector detects and where the images are.
struct DataConfig {
  std::vector<std::string> classes = voc_class_names();
  SplitConfig train{"voc", {}, {"trainval"}};
  SplitConfig val{"voc", {}, {"test"}};
  bool train_difficult = false;
  bool strict = false;
  int64_t workers = 0;
  double val_fraction = 0.1;
};

/// augment.*: the training augmentation. An empty pipeline is the SSD paper's, applied in this order with the *_prob
/// keys below (data/augment.h); a pipeline names steps of the augmentation registry (data/augment_steps/) in the order
/// they run, each with its own keys augment.<step>.* (probability p and parameters) in params. Evaluation only resizes
/// and normalises.
struct AugmentConfig {
  double photometric_prob = 0.5;
  double expand_prob = 0.5;
  double expand_max_ratio = 4.0;
  double crop_prob = 0.857;
  std::vector<double> crop_min_ious = {0.0, 0.1, 0.3, 0.5, 0.7, 0.9};
  double flip_prob = 0.5;
  std::vector<std::string> pipeline;
  PluginParams params;  ///< each step's own keys, augment.<step>.* (data/augment_steps/<family>.cpp)
};

/// tiling.*: small objects in large images. Training on tiles of the network's input size cut from the image at
/// `scale` (data/tiles.h), and sliced inference over a grid of such tiles (eval/sliced_inference.h).
struct TilingConfig {
  bool train = false;
  bool infer = false;
  double scale = 1.0;
  double empty_share = 0.1;
  double min_visible = 0.5;
  double overlap = 0.2;
  std::string merge = "nms";
  double merge_threshold = 0.5;
  bool whole_image = true;
};

/// model.priors.*: default boxes. Empty lists mean "take the value from the preset".
struct PriorConfig {
  std::string preset = "auto";
  std::vector<double> min_sizes;
  std::vector<double> max_sizes;
  std::vector<std::vector<double>> aspect_ratios;
  std::vector<double> steps;
  double s_min = 0.2;
  double s_max = 0.95;
  double offset = 0.5;
  bool clip = true;
};

/// The network's input in pixels: model.image_size, an integer for a square or [width, height].
struct ImageSize {
  ImageSize() = default;
  /// A side alone is a square, as in the YAML.
  ImageSize(int64_t side) : width(side), height(side) {}  // NOLINT(google-explicit-constructor)
  ImageSize(int64_t w, int64_t h) : width(w), height(h) {}
  int64_t width = 300, height = 300;
  bool square() const { return width == height; }
  int64_t shorter() const { return width < height ? width : height; }
  /// "300" for a square, "960x544" otherwise.
  std::string str() const { return square() ? std::to_string(width) : std::to_string(width) + "x" + std::to_string(height); }
  bool operator==(const ImageSize& o) const { return width == o.width && height == o.height; }
  bool operator!=(const ImageSize& o) const { return !(*this == o); }
};

/// model.*: architecture.
struct ModelConfig {
  std::string backbone = "vgg16";
  std::string head = "auto";
  ImageSize image_size;
  std::string resize = "stretch";
  double width_mult = 1.0;
  std::string pretrained_backbone;
  std::string init_from;
  std::vector<double> variances = {0.1, 0.2};
  double iou_threshold = 0.5;
  std::vector<double> pixel_mean = {123.675, 116.28, 103.53};
  std::vector<double> pixel_std = {58.395, 57.12, 57.375};
  PriorConfig priors;
};

/// loss.*: training objective.
struct LossConfig {
  std::string name = "multibox";
  double neg_pos_ratio = 3.0;
  double loc_weight = 1.0;
  double focal_alpha = 0.25;
  double focal_gamma = 2.0;
  std::string box = "smooth_l1";
  double smooth_l1_beta = 1.0;
  double label_smoothing = 0.0;
};

/// postprocess.*: from raw outputs to detections.
struct PostprocessConfig {
  double score_threshold = 0.01;
  double nms_iou = 0.45;
  int64_t top_k_per_class = 200;
  int64_t max_per_image = 200;
};

/// solver.groups[*]: a parameter group chosen by name, with its own LR and weight-decay multipliers.
struct ParamGroupRule {
  std::string match;
  double lr_mult = 1.0;
  double weight_decay_mult = 1.0;
};

/// solver.*: the optimizer; the hyper-parameters several optimizers share (momentum, betas, eps) are fields here.
struct SolverConfig {
  std::string optimizer = "sgd";
  double lr = 1e-3;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 5e-4;
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double clip_grad_norm = 0.0;
  std::vector<ParamGroupRule> groups;
  PluginParams params;  ///< each optimizer's own hyper-parameters (optim/optimizers/<name>.cpp)
};

/// schedule.warmup.*: a warm-up in front of any schedule.
struct WarmupConfig {
  std::string method = "linear";
  int64_t iters = 500;
  double epochs = 0.0;
  double start_factor = 0.001;
  bool prefix = false;
  double momentum = 0.0;
  double bias_lr = 0.0;
};

/// schedule.*: the learning rate over the run (lr = base x warm-up factor x schedule).
struct ScheduleConfig {
  std::string name = "multistep";
  std::string unit = "iterations";
  std::string interval = "iteration";
  double total = 0.0;
  WarmupConfig warmup;
  PluginParams params;  ///< each schedule's own parameters, schedule.<name>.* (lr/schedules/<name>.cpp)
};

/// early_stop.*: stop when the monitored validation metric stops improving (Keras EarlyStopping).
struct EarlyStopConfig {
  int64_t patience = 0;
  std::string monitor = "val/mAP";
  std::string mode = "auto";
  double min_delta = 0.0;
  std::vector<double> baseline;
  bool restore_best_weights = false;
};

/// non_finite.*: what a step whose loss is NaN or infinite does to the run (engine::NonFiniteLossHook).
struct NonFiniteConfig {
  std::string action = "stop";
  int64_t restore_after = 5;
  double lr_factor = 0.5;
  int64_t max_restores = 3;
};

/// range_test.*: the LR range test (ssd-train --range-test).
struct RangeTestConfig {
  double lr_min = 1e-7;
  double lr_max = 10.0;
  int64_t iters = 100;
  std::string sweep = "exp";
  double beta = 0.98;
  double diverge_factor = 4.0;
  std::string race = "never";  ///< never, disagree (the rules' picks differ by more than 3x) or always (tune/lr_race.h)
  double race_epochs = 0;      ///< the race's last rung, in epochs; 0 = a quarter of train.epochs
  double race_minutes = 0;     ///< the race's training time instead, at the range test's measured pace; 0 = race_epochs
  double race_eta = 2;         ///< each rung keeps the better 1 / race_eta of the candidates
  std::string race_rungs = "restart";  ///< restart (the whole schedule in each rung) or continue (the planned run's first part)
  std::string race_monitor = "val/loss";  ///< what the race ranks by: val/loss or val/mAP
};

/// train.*: the run.
struct TrainConfig {
  std::string run_dir = "runs/train";
  int64_t epochs = 12;
  int64_t batch_size = 32;
  int64_t log_period = 20;
  int64_t eval_period = 1;
  int64_t checkpoint_period = 0;
  int64_t max_iters = 0;
  int64_t stop_epoch = 0;  ///< stop at the end of this epoch, the schedules still planned over `epochs`; 0 = off
  std::string lr_scaling = "none";
  int64_t reference_batch = 32;
  bool amp = false;
  std::string amp_dtype = "auto";
};

/// runtime.*: where and how the computation runs.
struct RuntimeConfig {
  std::string device = "auto";
  int64_t threads = 0;
  int64_t seed = 1;
  std::string allocator = "huge_pages";
  std::string memory_format = "auto";
  bool cudnn_benchmark = true;
};

/// distributed.*: data-parallel training across processes (distributed/; docs/distributed.md). The processes, their
/// ranks and the address they meet at come from the launcher (ssd-train --nproc, torchrun, Slurm), not from here.
struct DistributedConfig {
  std::string backend = "auto";  ///< auto (nccl on CUDA, gloo on CPU), gloo or nccl
  double timeout_s = 1800;       ///< a collective that waits longer fails (a peer hung); torch's default, 30 minutes
  double rendezvous_timeout_s = 900;  ///< the processes must all have met by then (torchrun's join timeout)
  double bucket_mb = 25;         ///< gradients are all-reduced in flat buckets of about this size (torch DDP's default)
  bool overlap = false;          ///< start each bucket's all-reduce from gradient hooks, during the backward pass
};

struct Config {
  DataConfig data;
  AugmentConfig augment;
  TilingConfig tiling;
  ModelConfig model;
  LossConfig loss;
  SolverConfig solver;
  ScheduleConfig schedule;
  TrainConfig train;
  EarlyStopConfig early_stop;
  NonFiniteConfig non_finite;
  RangeTestConfig range_test;
  PostprocessConfig postprocess;
  RuntimeConfig runtime;
  DistributedConfig distributed;
};

}  // namespace ssd::config
