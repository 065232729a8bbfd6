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
  /// voc (VOCdevkit layout), folder (images/ + annotations/ with matching stems, VOC XML), coco
  /// (<root>/annotations/instances_<split>.json, images in <root>/<split>/) or yolo (<root>/data.yaml naming the
  /// classes and each split's images; labels/ beside images/, see data/yolo.h).
  std::string format = "voc";
  /// Data set roots, e.g. [data/VOCdevkit/VOC2007, data/VOCdevkit/VOC2012]; several are concatenated.
  std::vector<std::string> roots;
  /// Split name per root (one name applies to all roots): ImageSets/Main/<split>.txt for voc; for folder,
  /// splits/<split>.txt when present, else a seeded split of all images into train / val (or all); for coco,
  /// instances_<split>.json; for yolo, data.yaml's <split> key (train, val, test), else images/<split>/.
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
  /// ssd300 / ssd512 = the SSD paper's tables; torchvision = torchvision's ssd300_vgg16 table (scales 0.07..1.05,
  /// for its checkpoints); scales = the paper's linear s_min..s_max rule.
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
  /// torchvision ImageNet weights for the backbone, as published (vgg16-397923af.pth,
  /// vgg16_features-amdegroot-88682ab5.pth, mobilenet_v2-b0353104.pth); "" = from scratch. See interop/imagenet_backbone.h.
  std::string pretrained_backbone;
  /// A whole detector to start from: a torchvision ssd300_vgg16 state dict (its COCO checkpoint
  /// ssd300_vgg16_coco-b556d3b4.pth, or an ssd-export file); classification convolutions of another class count
  /// are re-initialised. "" = none. See interop/torchvision_ssd.h.
  std::string init_from;
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

/// solver.groups[*]: a parameter group chosen by name, with its own LR and weight-decay multipliers.
struct ParamGroupRule {
  /// ECMAScript regex searched in the parameter's name (ssd-train --list-params), e.g. "bias$" or "^backbone\\.".
  std::string match;
  /// The group's base LR is LR0 x lr_mult; the schedule gives every group the same shape on its own base.
  double lr_mult = 1.0;
  /// The group's weight decay is solver.weight_decay x weight_decay_mult (0 = no decay, the Caffe recipe for biases).
  double weight_decay_mult = 1.0;
};

/// solver.*: the optimizer.
struct SolverConfig {
  /// sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, asgd, rprop or lion.
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
  /// Adadelta: decay of the running averages, and its epsilon (PyTorch's defaults 0.9 and 1e-6).
  double adadelta_rho = 0.9;
  double adadelta_eps = 1e-6;
  /// ASGD: decay term, eta's power and the step from which averaging starts.
  double asgd_lambd = 1e-4;
  double asgd_alpha = 0.75;
  double asgd_t0 = 1e6;
  /// Rprop: step-size factors on a sign change / same sign, and the step-size bounds.
  std::vector<double> rprop_etas = {0.5, 1.2};
  std::vector<double> rprop_step_sizes = {1e-6, 50.0};
  /// Lion: betas of the update interpolation and of the momentum (Chen et al. 2023).
  std::vector<double> lion_betas = {0.9, 0.99};
  /// Parameter groups; a parameter joins the first rule whose pattern matches its name, else the default group.
  std::vector<ParamGroupRule> groups;
};

/// schedule.warmup.*: a warm-up in front of any schedule.
struct WarmupConfig {
  /// linear (f0 -> 1), constant (f0), or exponential (f0 ** (1 - t / W)).
  std::string method = "linear";
  /// Length in iterations; 0 = none (see epochs).
  int64_t iters = 500;
  /// Length in epochs (converted with the loader's length); when > 0 it replaces iters.
  double epochs = 0.0;
  /// Warm-up factor at iteration 0 (0 is allowed: the first step then runs at LR 0).
  double start_factor = 0.001;
  /// false: lr = main(t) x factor(t) (torchvision, detectron2); true: main(0) x factor(t), then main(t - W) (timm).
  bool prefix = false;
  /// > 0: momentum (SGD momentum, Adam beta1) warms linearly from this to its value over the warm-up (Ultralytics: 0.8).
  double momentum = 0.0;
  /// > 0: the LR of bias parameters falls linearly from this to its scheduled value over the warm-up (Ultralytics: 0.1).
  double bias_lr = 0.0;
};

/// schedule.step.*
struct StepScheduleConfig {
  /// Decay every step_size (schedule.unit).
  double step_size = 1000;
  double gamma = 0.1;
};

/// schedule.multistep.*
struct MultiStepScheduleConfig {
  /// Milestones in schedule.unit; empty = fractions of the run.
  std::vector<double> milestones;
  /// Milestones as fractions of the run when milestones is empty (the paper's 80k and 100k of 120k).
  std::vector<double> fractions = {2.0 / 3.0, 5.0 / 6.0};
  double gamma = 0.1;
};

/// schedule.exponential.*
struct ExponentialScheduleConfig {
  /// lr = base x gamma ** t (t in schedule.unit).
  double gamma = 0.999;
};

/// schedule.linear.*
struct LinearScheduleConfig {
  double start_factor = 1.0 / 3.0;
  double end_factor = 1.0;
};

/// schedule.polynomial.*
struct PolynomialScheduleConfig {
  double power = 1.0;
  double end_lr = 0.0;
};

/// schedule.cosine.*
struct CosineScheduleConfig {
  double eta_min = 0.0;
  /// true: PyTorch's CosineAnnealingLR past T (the LR climbs back); false: held at eta_min.
  bool periodic = false;
};

/// schedule.cosine_restarts.* (SGDR)
struct CosineRestartsScheduleConfig {
  /// First cycle length (schedule.unit).
  double T_0 = 1000;
  /// Each cycle is T_mult times longer than the one before.
  int64_t T_mult = 1;
  double eta_min = 0.0;
  /// Peak of cycle i is base x decay ** i (1 = PyTorch; timm's cycle_decay).
  double decay = 1.0;
};

/// schedule.cyclic.* (Smith 2017)
struct CyclicScheduleConfig {
  /// Lower bound of the cycle (replaces LR0).
  double base_lr = 1e-4;
  /// Upper bound of the cycle.
  double max_lr = 1e-3;
  double step_size_up = 2000;
  /// 0 = step_size_up.
  double step_size_down = 0;
  /// triangular, triangular2 or exp_range.
  std::string mode = "triangular";
  /// exp_range: amplitude x gamma ** t.
  double gamma = 1.0;
  /// Cycle momentum (SGD momentum / Adam beta1) inversely to the LR.
  bool cycle_momentum = false;
  double base_momentum = 0.8;
  double max_momentum = 0.9;
};

/// schedule.one_cycle.* (Smith 2018)
struct OneCycleScheduleConfig {
  /// Peak LR; 0 = LR0.
  double max_lr = 0.0;
  /// Fraction of the run spent rising.
  double pct_start = 0.3;
  /// cos or linear.
  std::string anneal = "cos";
  /// Initial LR = max_lr / div_factor.
  double div_factor = 25.0;
  /// Final LR = initial / final_div_factor.
  double final_div_factor = 1e4;
  bool three_phase = false;
  /// Cycle momentum inversely to the LR (max_momentum -> base_momentum -> max_momentum).
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
};

/// schedule.sequential.*: schedules joined at milestones (PyTorch's SequentialLR).
struct SequentialScheduleConfig {
  /// Schedule names in order; each takes its parameters from schedule.<name>.*.
  std::vector<std::string> schedules = {"linear", "cosine"};
  /// Lengths of all segments but the last (schedule.unit); the last runs to the end. A segment's T is its length.
  std::vector<double> lengths = {1000};
  /// false: every segment starts from the base LR; true: from the value the previous one reached at its end.
  bool continue_from_previous = false;
};

/// schedule.plateau.*: reduce-on-plateau (PyTorch ReduceLROnPlateau), a multiplier on top of another schedule.
struct PlateauScheduleConfig {
  /// The schedule it multiplies (constant by default).
  std::string over = "constant";
  /// val/loss or val/mAP.
  std::string monitor = "val/loss";
  /// auto (min for val/loss, max for val/mAP), min or max.
  std::string mode = "auto";
  double factor = 0.1;
  /// Evaluations without improvement tolerated; the LR drops after patience + 1.
  int64_t patience = 10;
  double threshold = 1e-4;
  /// rel or abs.
  std::string threshold_mode = "rel";
  /// Evaluations after a reduction during which no bad evaluation is counted.
  int64_t cooldown = 0;
  double min_lr = 0.0;
  /// Reductions smaller than this are not applied.
  double eps = 1e-8;
};

/// schedule.*: the learning rate over the run (lr = base x warm-up factor x schedule).
struct ScheduleConfig {
  /// Schedule from the registry (ssd-train --list-schedules).
  std::string name = "multistep";
  /// Unit of every duration under schedule.* except warmup: iterations or epochs (x the loader's length).
  std::string unit = "iterations";
  /// iteration: evaluate at every step; epoch: at floor(t / iterations per epoch), durations in epochs (PyTorch's habit).
  std::string interval = "iteration";
  /// Length T of linear, polynomial, cosine and one_cycle (schedule.unit); 0 = the run (minus a prefix warm-up).
  double total = 0.0;
  WarmupConfig warmup;
  StepScheduleConfig step;
  MultiStepScheduleConfig multistep;
  ExponentialScheduleConfig exponential;
  LinearScheduleConfig linear;
  PolynomialScheduleConfig polynomial;
  CosineScheduleConfig cosine;
  CosineRestartsScheduleConfig cosine_restarts;
  CyclicScheduleConfig cyclic;
  OneCycleScheduleConfig one_cycle;
  SequentialScheduleConfig sequential;
  PlateauScheduleConfig plateau;
};

/// early_stop.*: stop when the monitored validation metric stops improving (Keras EarlyStopping).
struct EarlyStopConfig {
  /// Evaluations without improvement before stopping; 0 = off.
  int64_t patience = 0;
  /// val/mAP or val/loss.
  std::string monitor = "val/mAP";
  /// auto (max for val/mAP, min for val/loss), min or max.
  std::string mode = "auto";
  /// Smallest change that counts as an improvement.
  double min_delta = 0.0;
  /// [] = none; [x] = training stops unless the metric beats x within the first patience evaluations.
  std::vector<double> baseline;
  /// Load best.pt's weights into the model at the end of an early-stopped run (last.pt keeps the final ones).
  bool restore_best_weights = false;
};

/// lr_finder.*: the LR range test (ssd-train --find-lr).
struct LrFinderConfig {
  double lr_min = 1e-7;
  double lr_max = 10.0;
  /// Number of LRs (one training step each).
  int64_t iters = 100;
  /// exp (geometric sweep) or linear.
  std::string sweep = "exp";
  /// Smoothing factor of the loss's moving average.
  double beta = 0.98;
  /// Stop when the smoothed loss exceeds this times its minimum.
  double diverge_factor = 4.0;
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
  /// Scale LR0 with the global batch: none, linear (LR0 x B / reference_batch) or sqrt.
  std::string lr_scaling = "none";
  /// The batch size LR0 was chosen for.
  int64_t reference_batch = 32;
  /// Automatic mixed precision: forward under autocast in amp_dtype, loss in float32, float16 gradients scaled
  /// (engine/mixed_precision.h). Weights and optimizer state stay float32.
  bool amp = false;
  /// auto (float16 on CUDA, bfloat16 on CPU), float16 (CUDA only) or bfloat16.
  std::string amp_dtype = "auto";
};

/// runtime.*: where and how the computation runs.
struct RuntimeConfig {
  /// auto (CUDA when available, else CPU), cpu, cuda or cuda:N.
  std::string device = "auto";
  /// Intra-op CPU threads; 0 = every core of the machine.
  int64_t threads = 0;
  /// Seed of every random number generator.
  int64_t seed = 1;
  /// CPU memory strategy (engine/cpu_allocator.h): huge_pages (tensors of 4 MiB and more on transparent huge
  /// pages, each freed one reused for the next tensor it can hold), keep (freed memory kept in glibc's heap: no
  /// faults, higher peak) or glibc (its defaults).
  std::string allocator = "huge_pages";
  /// Layout of the convolutions' tensors: auto (channels_last on CPU, where oneDNN runs it faster; on CUDA
  /// channels_last with train.amp, else contiguous), channels_last or contiguous.
  std::string memory_format = "auto";
  /// CUDA: let cuDNN time its convolution algorithms once per input shape and keep the fastest (SSD's shapes are
  /// fixed, so this pays from the second step on). Ignored on the CPU.
  bool cudnn_benchmark = true;
};

struct Config {
  DataConfig data;
  AugmentConfig augment;
  ModelConfig model;
  LossConfig loss;
  SolverConfig solver;
  ScheduleConfig schedule;
  TrainConfig train;
  EarlyStopConfig early_stop;
  LrFinderConfig lr_finder;
  PostprocessConfig postprocess;
  RuntimeConfig runtime;
};

}  // namespace ssd::config
