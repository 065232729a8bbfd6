#pragma once
// Tiles of a large image at the network's input size, for small objects: the training tile drawn for each sample
// (biased towards objects), the grid that covers an image in sliced inference, and the cut that takes a tile's
// pixels and boxes out of a sample. Rectangles are in source pixels (the Object convention of sample.h); a tile
// may reach past the image, where it reads as a fill colour.
#include <random>
#include <string>
#include <vector>

#include <opencv2/core/types.hpp>

#include "ssd/config/config.h"
#include "ssd/data/sample.h"

namespace ssd::data {

/// A tile's width and height in source pixels: the network's input at `scale` (tiling.scale), at least 1.
cv::Size tile_size(const config::ImageSize& input, double scale);

/// A tile's size for the log: "256" for a square, "320x192" otherwise.
std::string tile_text(cv::Size tile);

/// The objects of which at least min_visible of the area lies in `rect`, clipped to it and shifted to its origin. An
/// object that was clipped loses its annotated area (Object::area = -1: its box's area from then on).
std::vector<Object> tile_objects(const std::vector<Object>& objects, const cv::Rect& rect, double min_visible);

/// The tile `rect` of a sample: its pixels (`fill`, RGB, where the rectangle leaves the image) and tile_objects.
Sample cut_tile(const Sample& sample, const cv::Rect& rect, double min_visible, const cv::Scalar& fill);

/// The training tile of size `tile` for a width x height image with these objects. With probability empty_share a
/// tile that keeps no object (tile_objects at min_visible) drawn anywhere: the first of 20 draws that holds none, else
/// the last. Otherwise a tile around one of the objects drawn uniformly: the object lies whole in it where it fits
/// (inside the image), and the tile lies inside the object where the object is larger. A dimension in which the image
/// is no larger than the tile puts the tile at 0 (the rest fill). Draws only from rng.
cv::Rect sample_tile(const std::vector<Object>& objects, int width, int height, cv::Size tile, double empty_share,
                     double min_visible, std::mt19937_64& rng);

/// Tiles of size `tile` that cover a width x height image, neighbours sharing at least `overlap` of a side: per
/// dimension the fewest tiles that do, spread evenly from one edge of the image to the other (row by row). A
/// dimension no larger than a tile has one tile, at 0.
std::vector<cv::Rect> tile_grid(int width, int height, cv::Size tile, double overlap);

}  // namespace ssd::data
