#pragma once
// Runs a model over a data set and scores it with the VOC metrics.
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/data/dataset.h"
#include "ssd/eval/voc_eval.h"
#include "ssd/model/ssd.h"

namespace ssd::eval {

/// Detections of the model (in eval mode, no gradients) on every image of the data set, in original pixels.
/// Images that fail to load are skipped and counted in the data set's report; `evaluated` (when given)
/// receives the annotations of the images that were actually run, which is what the metrics must score.
/// mean_loss (when given) receives the training loss of config.loss over the images, averaged per batch image
/// (the validation loss that reduce-on-plateau and early stopping can monitor; difficult objects count as objects).
std::vector<Detection> predict(model::Ssd& model, const data::DetectionDataset& dataset, const config::Config& config,
                               c10::Device device, int64_t batch_size, std::vector<data::Annotation>* evaluated = nullptr,
                               double* mean_loss = nullptr);

/// Converts post-processed detections of one image (normalised boxes) into pixel Detections.
std::vector<Detection> to_pixel_detections(const std::string& image_id, const at::Tensor& boxes, const at::Tensor& scores,
                                           const at::Tensor& labels, int width, int height);

struct EvalReport {
  VocResult voc07;
  VocResult voc;
  double loss = 0.0;  ///< validation loss (with_loss), else NaN
  std::vector<Detection> detections;          ///< what was scored (for the report)
  std::vector<data::Annotation> ground_truth;  ///< the images that were run
};

/// Both VOC metrics on the data set's annotations (difficult objects as the devkit treats them).
EvalReport evaluate(model::Ssd& model, const data::DetectionDataset& dataset, const config::Config& config,
                    c10::Device device, int64_t batch_size, bool with_loss = false);

}  // namespace ssd::eval
