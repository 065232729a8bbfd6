#pragma once
// The noise of a validation figure: its bootstrap over the validation images (Efron's percentile bootstrap). Replicate
// r draws the same images for every model scored on the same data (the draws depend only on the number of images and
// the seed), so two models' replicates are paired: the share of replicates in which one beats the other says whether
// their difference stands above what the choice of validation images alone would give.
#include <cstdint>
#include <vector>

#include "ssd/data/sample.h"
#include "ssd/eval/voc_eval.h"

namespace ssd::eval {

/// Replicate r's draw: n indices in [0, n) with replacement, the same for the same n, r and seed.
std::vector<size_t> bootstrap_draw(size_t n, int replicate, uint64_t seed);

/// VOC mAP (all-point, or VOC07 with use_07_metric) of `replicates` resamples of the images of `ground_truth` with
/// their detections; an image drawn k times counts k times.
std::vector<double> bootstrap_voc_map(const std::vector<data::Annotation>& ground_truth, const std::vector<Detection>& detections,
                                      int64_t num_classes, bool use_07_metric, int replicates, uint64_t seed);

/// The mean of `replicates` resamples of the images' validation losses (evaluator.h's image_losses; drawn as
/// bootstrap_voc_map draws the same images).
std::vector<double> bootstrap_mean_loss(const std::vector<double>& image_losses, int replicates, uint64_t seed);

/// The share of paired replicates in which a is better than b (ties count half); NaN when either has none or their
/// counts differ. maximise: larger is better.
double share_better(const std::vector<double>& a, const std::vector<double>& b, bool maximise);

/// The standard deviation of the replicates (the figure's bootstrap standard error); NaN for fewer than two.
double standard_error(const std::vector<double>& replicates);

}  // namespace ssd::eval
