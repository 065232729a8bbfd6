#pragma once
// The SSD detector: backbone (source feature maps) + head (per-prior deltas and logits) + default boxes.
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "ssd/config/config.h"
#include "ssd/model/backbone.h"
#include "ssd/model/box_coder.h"
#include "ssd/model/heads.h"
#include "ssd/model/matcher.h"
#include "ssd/model/priors.h"

namespace ssd::model {

/// What the model is, beyond its layers: its input, its classes, and how its targets and detections are coded.
/// From model.* (build_ssd); training, evaluation and detection read these from the model, never from the config.
struct SsdOptions {
  config::ImageSize image_size;                                 ///< input width and height in pixels
  int64_t num_classes = 21;                                     ///< with background
  std::vector<double> variances = {0.1, 0.2};                   ///< box coding (centre, size)
  double match_iou = 0.5;                                       ///< a default box matches an object at this IoU
  std::vector<double> pixel_mean = {123.675, 116.28, 103.53};   ///< RGB, subtracted from 0..255 pixels
  std::vector<double> pixel_std = {58.395, 57.12, 57.375};      ///< RGB, divides after the mean
  std::string resize = "stretch";                               ///< how an image becomes the input (data/input_fit.h)
};

class SsdImpl : public torch::nn::Module {
 public:
  SsdImpl(std::shared_ptr<Backbone> backbone, std::shared_ptr<Head> head, PriorTable priors_table,
          std::vector<FeatureSpec> specs, SsdOptions options);

  /// images [B, 3, H, W] -> {loc [B, P, 4], conf [B, P, C]} with P = number of default boxes. The images are
  /// laid out in the model's memory format first, so callers need not know it.
  HeadOutput forward(const at::Tensor& images);

  /// Lays out every 4-D weight (and each later input) as `format`: channels_last puts the channels innermost,
  /// the layout oneDNN and tensor cores run fastest. Keeps each parameter's identity (an optimizer built on the
  /// model stays valid); call again after loading weights, which bring their stored layout.
  void set_memory_format(at::MemoryFormat format);
  at::MemoryFormat memory_format() const { return memory_format_; }

  /// [P, 4] cxcywh in [0, 1]; a buffer, so it follows the module to its device.
  const at::Tensor& priors() const { return priors_; }
  const PriorTable& prior_table() const { return prior_table_; }
  const std::vector<FeatureSpec>& feature_specs() const { return specs_; }
  const config::ImageSize& image_size() const { return options_.image_size; }
  int64_t num_classes() const { return options_.num_classes; }
  const BoxCoder& box_coder() const { return coder_; }
  /// Per-prior targets of a batch (boxes normalised to [0, 1]): matched at model.iou_threshold, coded with the
  /// model's variances.
  Targets assign_targets(const std::vector<at::Tensor>& boxes, const std::vector<at::Tensor>& labels) const;
  /// The input normalisation the model was trained with (model.pixel_mean / pixel_std).
  const std::vector<double>& pixel_mean() const { return options_.pixel_mean; }
  const std::vector<double>& pixel_std() const { return options_.pixel_std; }
  /// How an image becomes the input (model.resize: data/input_fit.h), in training, evaluation and detection.
  const std::string& resize_policy() const { return options_.resize; }
  int64_t parameter_count() const;
  /// Several lines: backbone, head, feature maps, default boxes per level, totals.
  std::string summary() const;

  std::string backbone_name, head_name;

 private:
  std::shared_ptr<Backbone> backbone_;
  std::shared_ptr<Head> head_;
  PriorTable prior_table_;
  std::vector<FeatureSpec> specs_;
  SsdOptions options_;
  BoxCoder coder_;
  at::Tensor priors_;
  at::MemoryFormat memory_format_ = at::MemoryFormat::Contiguous;
};
TORCH_MODULE(Ssd);

/// The smallest training batch the model can take: 2 when batch normalisation runs on a 1x1 feature map (one value
/// per channel has no variance: SSD-Lite's last maps), else 1.
int64_t smallest_training_batch(const SsdImpl& model);

/// ConfigError naming train.batch_size when batch_size is below smallest_training_batch(model).
void require_training_batch(const SsdImpl& model, int64_t batch_size);

/// Builds the model that model.* describes: backbone and head from the registries, priors from the backbone's feature
/// maps, box coding, matching and input normalisation from their keys. num_classes includes background. Throws
/// ConfigError naming the key at fault. (builder::model calls it with data.classes.)
Ssd build_ssd(const config::ModelConfig& config, int64_t num_classes);

}  // namespace ssd::model
