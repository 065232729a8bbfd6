#pragma once
// Default boxes (priors). For feature map k of H_k x W_k cells on an input of W x H pixels, cell (i, j) has centre
// ((j + offset) * step_k / W, (i + offset) * step_y_k / H) and, in this order,
//   a square of side min_k, a square of side sqrt(min_k * max_k),
//   then for each aspect ratio r: (min_k * sqrt(r), min_k / sqrt(r)) and (min_k / sqrt(r), min_k * sqrt(r)),
// in pixels, so that boxes are square in pixels on a non-square input too; widths are divided by W, heights by H.
// Output rows are cxcywh (normalised; with clip, w and h are at most 1), level by level, row-major, anchor by anchor,
// which is the layout of the heads' outputs.
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/config/config.h"
#include "ssd/model/feature_spec.h"

namespace ssd::model {

/// The resolved default-box table: one entry per feature map, in input pixels.
struct PriorTable {
  std::string preset;  ///< where the values came from, for the summary
  std::vector<double> min_sizes, max_sizes;
  std::vector<double> steps;    ///< centre spacing in pixels, along x (and y when steps_y is empty)
  std::vector<double> steps_y;  ///< along y where it differs: derived from the maps of a non-square input
  std::vector<std::vector<double>> aspect_ratios;
  double offset = 0.5;
  bool clip = true;  ///< clip widths and heights to 1

  /// Boxes per location of level k: 2 squares + 2 per aspect ratio.
  int64_t anchors_per_cell(size_t k) const;
  std::vector<int64_t> anchors_per_cell() const;
  double step_y(size_t k) const { return steps_y.empty() ? steps[k] : steps_y[k]; }
  /// The larger of a level's two steps for each level: what decides which boxes it can match wherever they lie.
  std::vector<double> coarser_steps() const;
};

/// The SSD paper's SSD300 table (six levels; min 30..264 px, max 60..315 px, steps 8..300).
PriorTable ssd300_table();
/// The SSD paper's SSD512 table (seven levels; Caffe ssd_pascal_512: min 20.48..460.8 px).
PriorTable ssd512_table();
/// torchvision's ssd300_vgg16 table (scales 0.07, 0.15, 0.33, ..., 1.05 of 300 px): its checkpoints' regressions
/// are relative to these boxes.
PriorTable torchvision_ssd300_table();

/// Fills the table for `specs` from the config: preset (auto resolved to `backbone_preset`), then any
/// non-empty list in the config replaces the preset's. A paper's table (ssd300, ssd512, torchvision) at a non-square
/// input has its box sides scaled by the shorter side over its own side and its steps derived from the maps; the
/// scales preset takes its fractions of the shorter side. Throws ConfigError naming the key when a list's
/// length does not match the number of feature maps.
PriorTable resolve_priors(const config::PriorConfig& config, const std::string& backbone_preset, const config::ImageSize& image,
                          const std::vector<FeatureSpec>& specs);

/// [P, 4] cxcywh default boxes, P = sum over levels of H_k * W_k * anchors_per_cell.
at::Tensor make_priors(const PriorTable& table, const config::ImageSize& image, const std::vector<FeatureSpec>& specs);

}  // namespace ssd::model
