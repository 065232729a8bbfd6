#include "ssd/data/tiles.h"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>

namespace ssd::data {

namespace {

// A uniform integer in [lo, hi] (lo when hi < lo).
int uniform_int(std::mt19937_64& rng, int lo, int hi) {
  return hi <= lo ? lo : std::uniform_int_distribution<int>(lo, hi)(rng);
}

// Where a tile of `side` starts along one dimension of `extent` so that [a, b) lies whole in it, or it lies inside
// [a, b) when that is longer: one of the positions that do, clamped to the image.
int start_around(double a, double b, int side, int extent, std::mt19937_64& rng) {
  if (extent <= side) return 0;
  const int to_hold_end = static_cast<int>(std::ceil(b)) - side, to_hold_start = static_cast<int>(std::floor(a));
  const int lo = std::clamp(std::min(to_hold_end, to_hold_start), 0, extent - side);
  const int hi = std::clamp(std::max(to_hold_end, to_hold_start), 0, extent - side);
  return uniform_int(rng, lo, hi);
}

// Positions of `count` tiles of `side` spread evenly over `extent`, the first at 0 and the last flush with its end.
std::vector<int> spread(int extent, int side, double overlap) {
  if (extent <= side) return {0};
  const double stride = side * (1.0 - overlap);
  const int count = 1 + static_cast<int>(std::ceil((extent - side) / stride - 1e-9));
  std::vector<int> starts;
  for (int i = 0; i < count; ++i)
    starts.push_back(static_cast<int>(std::lround(static_cast<double>(i) * (extent - side) / std::max(1, count - 1))));
  return starts;
}

}  // namespace

cv::Size tile_size(const config::ImageSize& input, double scale) {
  const auto side = [scale](int64_t pixels) { return std::max(1, static_cast<int>(std::lround(static_cast<double>(pixels) / scale))); };
  return {side(input.width), side(input.height)};
}

std::string tile_text(cv::Size tile) {
  return tile.width == tile.height ? std::to_string(tile.width) : std::to_string(tile.width) + "x" + std::to_string(tile.height);
}

std::vector<Object> tile_objects(const std::vector<Object>& objects, const cv::Rect& rect, double min_visible) {
  std::vector<Object> kept;
  const auto x0 = static_cast<float>(rect.x), y0 = static_cast<float>(rect.y);
  const auto x1 = static_cast<float>(rect.x + rect.width), y1 = static_cast<float>(rect.y + rect.height);
  for (const auto& o : objects) {
    const double area = static_cast<double>(o.x2 - o.x1) * (o.y2 - o.y1);
    if (!(area > 0)) continue;
    Object c = o;
    c.x1 = std::max(o.x1, x0), c.y1 = std::max(o.y1, y0), c.x2 = std::min(o.x2, x1), c.y2 = std::min(o.y2, y1);
    if (c.x2 <= c.x1 || c.y2 <= c.y1) continue;
    const double visible = static_cast<double>(c.x2 - c.x1) * (c.y2 - c.y1);
    if (visible < min_visible * area) continue;
    if (visible < area) c.area = -1;
    c.x1 -= x0, c.x2 -= x0, c.y1 -= y0, c.y2 -= y0;
    kept.push_back(c);
  }
  return kept;
}

Sample cut_tile(const Sample& sample, const cv::Rect& rect, double min_visible, const cv::Scalar& fill) {
  Sample tile;
  tile.annotation = sample.annotation;
  tile.annotation.width = rect.width, tile.annotation.height = rect.height;
  tile.annotation.objects = tile_objects(sample.annotation.objects, rect, min_visible);
  const cv::Rect inside = rect & cv::Rect(0, 0, sample.image.cols, sample.image.rows);
  if (inside == rect) {
    tile.image = sample.image(rect).clone();
  } else {
    tile.image = cv::Mat(rect.height, rect.width, sample.image.type(), fill);
    if (!inside.empty()) sample.image(inside).copyTo(tile.image(inside - rect.tl()));
  }
  return tile;
}

cv::Rect sample_tile(const std::vector<Object>& objects, int width, int height, cv::Size tile, double empty_share,
                     double min_visible, std::mt19937_64& rng) {
  const bool empty = objects.empty() || std::uniform_real_distribution<double>(0, 1)(rng) < empty_share;
  if (empty) {
    cv::Rect r;
    for (int draw = 0; draw < 20; ++draw) {
      r = cv::Rect(uniform_int(rng, 0, width - tile.width), uniform_int(rng, 0, height - tile.height), tile.width, tile.height);
      if (objects.empty() || tile_objects(objects, r, min_visible).empty()) break;
    }
    return r;
  }
  const Object& o = objects[std::uniform_int_distribution<size_t>(0, objects.size() - 1)(rng)];
  const int x = start_around(o.x1, o.x2, tile.width, width, rng);
  const int y = start_around(o.y1, o.y2, tile.height, height, rng);
  return {x, y, tile.width, tile.height};
}

std::vector<cv::Rect> tile_grid(int width, int height, cv::Size tile, double overlap) {
  std::vector<cv::Rect> tiles;
  for (const int y : spread(height, tile.height, overlap))
    for (const int x : spread(width, tile.width, overlap)) tiles.emplace_back(x, y, tile.width, tile.height);
  return tiles;
}

}  // namespace ssd::data
