#pragma once
// Default boxes fitted to the data: k-means of the training boxes' shapes (width, height) with 1 - IoU of boxes
// sharing a centre as the distance (Redmon and Farhadi, YOLO9000, 2017), its centroids mapped onto the model's feature
// maps from the smallest to the largest. The feature maps' strides stay (they are the network's); what moves is each
// level's box sizes and aspect ratios, as model.priors.min_sizes, max_sizes and aspect_ratios.
#include <cstdint>
#include <string>
#include <vector>

#include "ssd/model/priors.h"

namespace ssd::analysis {

struct Shape {
  double w = 0, h = 0;
  double side() const;
};

/// IoU of two boxes of these shapes with the same centre.
double centred_iou(const Shape& a, const Shape& b);

/// k centroids of `shapes` (k-means++ seeding from `seed`, then Lloyd's iterations on the 1 - IoU distance until no
/// box changes cluster), sorted by area. Fewer when there are fewer distinct shapes.
std::vector<Shape> kmeans_shapes(const std::vector<Shape>& shapes, size_t k, uint64_t seed, int iterations = 100);

/// The smallest box side that a default box of its size, on a grid of `step`, reaches at IoU `threshold` wherever
/// the box lies (the worst place is half a step off in x and y): step / (2 (1 - sqrt(2 t / (1 + t)))), 2.72 steps at
/// t = 0.5.
double smallest_matchable(double step, double threshold);

/// The feature map (index into `steps`, the maps' strides in input pixels, finest first) that a box of `side` belongs
/// to: the coarsest whose stride lets it match wherever it lies (side >= smallest_matchable); the finest when none does.
size_t level_for(double side, const std::vector<double>& steps, double threshold);

/// The model.priors lists of a proposal.
struct PriorProposal {
  size_t per_level = 0;
  std::vector<double> min_sizes, max_sizes;
  std::vector<std::vector<double>> aspect_ratios;
  std::vector<size_t> boxes_per_level;  ///< how many of the shapes each level was fitted to
  std::vector<bool> kept;               ///< per level: `now`'s entry kept (no shapes there, or a caller's choice)
};

/// Default boxes fitted to `shapes`: each shape goes to its level (level_for), and each level's shapes are clustered
/// into per_level centroids (kmeans_shapes). A level's min_size is the side of its first centroid, its max_size puts
/// the second square (sqrt(min * max)) at the side of its second (per_level 1: max_size is the next level's min_size,
/// as in SSD, and the last level keeps the config's ratio of max to min), and each
/// centroid more than 1.4:1 elongated adds its aspect ratio, rounded to a tenth. A level without shapes keeps `now`'s
/// sizes and ratios.
PriorProposal propose_priors(const std::vector<Shape>& shapes, const model::PriorTable& now, size_t per_level, double threshold,
                             uint64_t seed);

/// The proposal as a model.priors block to paste into a config.
std::string proposal_yaml(const PriorProposal& proposal);

}  // namespace ssd::analysis
