#pragma once
// Runs a model over a data set and scores it with the VOC metrics.
#include <optional>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/data/dataset.h"
#include "ssd/distributed/communicator.h"
#include "ssd/eval/voc_eval.h"
#include "ssd/model/ssd.h"

namespace ssd::eval {

/// How the model is run over a data set (builder::eval_options fills it from the config).
struct EvalOptions {
  int64_t batch_size = 8;
  int64_t workers = 0;                     ///< data.workers
  config::PostprocessConfig postprocess;   ///< postprocess.*
  std::optional<config::LossConfig> loss;  ///< set: the validation loss is computed too (loss.*)
  bool image_losses = false;               ///< with loss: evaluate() also gives each image's share of it (a loss per image)
  /// Set: sliced inference (tiling.infer; eval/sliced_inference.h). Each image's views run in chunks of batch_size; the
  /// validation loss takes them as one batch, each view against the objects it holds (as training cuts them), normalised
  /// by their positives together.
  std::optional<config::TilingConfig> tiling;
  /// Distributed training: the processes share the batches (rank r runs batches r, r + W, ...) and gather the results,
  /// so that every process receives exactly what one process would compute alone. Null: this process alone.
  std::shared_ptr<const distributed::Communicator> communicator;
};

/// Detections of the model (in eval mode, no gradients) on every image of the data set, in original pixels; the
/// images are prepared as the model says (its input size and normalisation). Images that fail to load are skipped
/// and counted in the data set's report; `evaluated` (when given) receives the annotations of the images that were
/// actually run, which is what the metrics must score. mean_loss (when given, with options.loss) receives the
/// training loss over the images, averaged per batch image (the validation loss that reduce-on-plateau and early
/// stopping can monitor; difficult objects count as objects), and image_losses (when given too) each evaluated image's
/// contribution to it (their mean is mean_loss), for its bootstrap. With options.communicator, a collective: every
/// process calls it and receives the whole result.
std::vector<Detection> predict(model::Ssd& model, const data::DetectionDataset& dataset, const EvalOptions& options, c10::Device device,
                               std::vector<data::Annotation>* evaluated = nullptr, double* mean_loss = nullptr,
                               std::vector<double>* image_losses = nullptr);

/// Converts post-processed detections of one image (normalised boxes) into pixel Detections.
std::vector<Detection> to_pixel_detections(const std::string& image_id, const at::Tensor& boxes, const at::Tensor& scores,
                                           const at::Tensor& labels, int width, int height);

struct EvalReport {
  VocResult voc07;
  VocResult voc;
  double loss = 0.0;  ///< validation loss (options.loss set), else NaN
  std::vector<double> image_losses;           ///< per image of ground_truth, its contribution to loss (options.image_losses)
  std::vector<Detection> detections;          ///< what was scored (for the report)
  std::vector<data::Annotation> ground_truth;  ///< the images that were run
};

/// Both VOC metrics on the data set's annotations (difficult objects as the devkit treats them), over the data set's
/// classes.
EvalReport evaluate(model::Ssd& model, const data::DetectionDataset& dataset, const EvalOptions& options, c10::Device device);

}  // namespace ssd::eval
