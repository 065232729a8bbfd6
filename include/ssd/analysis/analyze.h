#pragma once
// ssd-data analyze: what the model will see of the training data and whether its default boxes can match it.
// Statistics of the boxes after the configured resize (per class: count, side, aspect ratio), the share of boxes that
// no default box matches at model.iou_threshold with the current priors, and default boxes fitted to the data
// (analysis/prior_fit.h) with the share they would leave unmatched, as YAML to paste into the config.
#include <string>
#include <vector>

#include "ssd/config/config.h"

namespace ssd::analysis {

struct ProposalRow {
  size_t per_level = 0;
  double unmatched = 0;      ///< share of boxes below model.iou_threshold with it
  int64_t default_boxes = 0;
  std::string yaml;
  std::vector<size_t> boxes_per_level;  ///< the boxes each feature map was fitted to
  std::vector<bool> kept;               ///< per feature map: the config's default boxes kept (they matched more there)
};

struct DataAnalysis {
  size_t images = 0, boxes = 0;
  double unmatched_now = 0;               ///< with the config's priors
  std::vector<ProposalRow> proposals;     ///< one per centroids-per-level tried
  size_t chosen = 0;                      ///< the best proposal (fewest unmatched; fewer boxes on a tie)
  bool improves = false;                  ///< it leaves fewer boxes unmatched than the config's (only then is it proposed)
  std::vector<std::string> lines;         ///< the report as printed
  std::vector<std::string> files;         ///< what was written
};

/// Analyses config's training data (data.train) against config's model and writes boxes.csv, box_sizes.csv,
/// box_sizes.png and, when it improves on the config's, priors.yaml (the chosen proposal) into `out`. DataError when
/// the set has no boxes.
DataAnalysis analyze_data(const config::Config& config, const std::string& out);

}  // namespace ssd::analysis
