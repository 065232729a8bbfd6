// Tiles for small objects: the training tile's boxes against its pixels, the sampling policy, the inference grid.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "ssd/data/augment.h"
#include "ssd/data/tiles.h"
#include "ssd/data/transforms.h"

namespace ssd::data {
namespace {

// A black 640 x 480 image with white filled rectangles (1-pixel-aligned, at least 4 px apart), and its objects.
Sample rectangles() {
  Sample s;
  s.image = cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(0));
  const std::vector<cv::Rect> boxes = {{10, 12, 8, 9},    {40, 300, 60, 24}, {200, 200, 12, 40}, {330, 40, 200, 150},
                                       {600, 440, 30, 30}, {120, 90, 17, 11}, {450, 300, 9, 9},   {250, 420, 64, 50}};
  for (size_t i = 0; i < boxes.size(); ++i) {
    cv::rectangle(s.image, boxes[i], cv::Scalar::all(255), cv::FILLED);
    const auto& b = boxes[i];
    s.annotation.objects.push_back({static_cast<float>(b.x), static_cast<float>(b.y), static_cast<float>(b.x + b.width),
                                    static_cast<float>(b.y + b.height), static_cast<int64_t>(1 + i % 3)});
  }
  return s;
}

// The bounding box of the bright pixels (> 127 in channel 0) of `image` in `window`, in image pixels; empty when none.
cv::Rect bright_box(const cv::Mat& image, cv::Rect window) {
  window &= cv::Rect(0, 0, image.cols, image.rows);
  int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
  for (int y = window.y; y < window.y + window.height; ++y)
    for (int x = window.x; x < window.x + window.width; ++x) {
      const float v = image.type() == CV_32FC3 ? image.at<cv::Vec3f>(y, x)[0] : image.at<cv::Vec3b>(y, x)[0];
      if (v > 127) x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x + 1), y1 = std::max(y1, y + 1);
    }
  return x1 < 0 ? cv::Rect() : cv::Rect(x0, y0, x1 - x0, y1 - y0);
}

// Every box of a tile, resized to the network's input from any tile size, square or not, lies on its rectangle's
// pixels within 1 px; and the rectangles left out are those with less than min_visible of their area in the tile.
TEST(Tiles, TrainingTilesKeepTheBoxesOnTheirPixels) {
  const Sample s = rectangles();
  const double min_visible = 0.5;
  int cut_boxes = 0;
  for (const config::ImageSize input : {config::ImageSize(128), config::ImageSize(160, 96)})
  for (const double scale : {2.0, 1.0, 0.5}) {  // tiles enlarged (64 px to 128), native, shrunk (256 px to 128)
    const cv::Size tile_px = tile_size(input, scale);
    ASSERT_EQ(tile_px, cv::Size(static_cast<int>(std::lround(input.width / scale)), static_cast<int>(std::lround(input.height / scale))));
    std::mt19937_64 rng(3);
    int boxes_checked = 0;
    for (int draw = 0; draw < 300; ++draw) {
      const auto rect = sample_tile(s.annotation.objects, s.image.cols, s.image.rows, tile_px, 0.2, min_visible, rng);
      ASSERT_EQ(rect.size(), tile_px);
      const Sample tile = cut_tile(s, rect, min_visible, cv::Scalar::all(0));
      ASSERT_EQ(tile.image.size(), tile_px);
      Labeled l;
      tile.image.convertTo(l.image, CV_32FC3);
      l.objects = tile.annotation.objects;
      const Labeled net = resize(l, cv_size(input));  // what the augmentation hands the network, all its random steps off
      for (const auto& o : net.objects) {
        const cv::Rect box(cv::Point(static_cast<int>(std::lround(o.x1)), static_cast<int>(std::lround(o.y1))),
                           cv::Point(static_cast<int>(std::lround(o.x2)), static_cast<int>(std::lround(o.y2))));
        const cv::Rect found = bright_box(net.image, {box.x - 3, box.y - 3, box.width + 6, box.height + 6});
        EXPECT_LE(std::abs(found.x - o.x1), 1.0) << "scale " << scale << ", tile " << rect;
        EXPECT_LE(std::abs(found.y - o.y1), 1.0) << "scale " << scale << ", tile " << rect;
        EXPECT_LE(std::abs(found.x + found.width - o.x2), 1.0) << "scale " << scale << ", tile " << rect;
        EXPECT_LE(std::abs(found.y + found.height - o.y2), 1.0) << "scale " << scale << ", tile " << rect;
        ++boxes_checked;
      }
      // Each rectangle by its pixels in the tile: kept exactly when at least min_visible of it shows.
      size_t kept = 0;
      for (const auto& o : s.annotation.objects) {
        const cv::Rect full(cv::Point(static_cast<int>(o.x1), static_cast<int>(o.y1)), cv::Point(static_cast<int>(o.x2), static_cast<int>(o.y2)));
        const cv::Rect shown = full & rect;
        const bool visible_enough = shown.area() >= min_visible * full.area();
        kept += visible_enough;
        cut_boxes += visible_enough && shown.area() < full.area();
      }
      EXPECT_EQ(kept, tile.annotation.objects.size()) << "tile " << rect;
    }
    EXPECT_GT(boxes_checked, 200);
  }
  EXPECT_GT(cut_boxes, 10);  // boxes cut by an edge were among them (the larger tiles cut the 200 x 150 rectangle)
}

TEST(Tiles, TrainingTilesHoldAnObjectExceptTheEmptyShare) {
  const Sample s = rectangles();
  const int side = 128;
  const cv::Size tile(side, side);
  for (const double empty_share : {0.0, 0.3, 1.0}) {
    std::mt19937_64 rng(11);
    int empty = 0;
    const int draws = 1000;
    for (int draw = 0; draw < draws; ++draw) {
      const auto rect = sample_tile(s.annotation.objects, s.image.cols, s.image.rows, tile, empty_share, 0.5, rng);
      EXPECT_TRUE((rect & cv::Rect(0, 0, s.image.cols, s.image.rows)) == rect) << "tile " << rect << " leaves the image";
      const auto objects = tile_objects(s.annotation.objects, rect, 0.5);
      empty += objects.empty();
      // A tile drawn around an object holds a whole one (every object here fits in a tile but the 200 x 150 one).
      if (empty_share == 0.0) {
        EXPECT_FALSE(objects.empty()) << "tile " << rect;
      }
    }
    EXPECT_NEAR(static_cast<double>(empty) / draws, empty_share, 0.05) << "empty_share " << empty_share;
  }
  // No objects: any tile, inside the image; an image smaller than the tile: the tile at 0.
  std::mt19937_64 rng(1);
  EXPECT_TRUE((sample_tile({}, 640, 480, tile, 0.0, 0.5, rng) & cv::Rect(0, 0, 640, 480)).area() == side * side);
  EXPECT_EQ(sample_tile(s.annotation.objects, 100, 90, tile, 0.0, 0.5, rng), cv::Rect(0, 0, side, side));
}

TEST(Tiles, CutTileFillsWhatLiesPastTheImage) {
  Sample s = rectangles();
  const Sample tile = cut_tile(s, {600, 440, 64, 64}, 0.5, cv::Scalar(1, 2, 3));
  ASSERT_EQ(tile.image.size(), cv::Size(64, 64));
  EXPECT_EQ(tile.image.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));  // the 30 x 30 rectangle at (600, 440)
  EXPECT_EQ(tile.image.at<cv::Vec3b>(63, 63), cv::Vec3b(1, 2, 3));
  ASSERT_EQ(tile.annotation.objects.size(), 1u);
  EXPECT_FLOAT_EQ(tile.annotation.objects[0].x2, 30.f);
  // An object cut by the edge loses its annotated area; one wholly inside keeps it.
  s.annotation.objects[4].area = 123;
  s.annotation.objects[3].area = 456;
  const auto cut = tile_objects(s.annotation.objects, {300, 0, 200, 200}, 0.5);
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].area, -1);
  EXPECT_EQ(tile_objects(s.annotation.objects, {590, 430, 50, 50}, 0.5).at(0).area, 123);
}

TEST(Tiles, GridCoversTheImageWithTheOverlapAsked) {
  const auto grid = tile_grid(1920, 1080, {512, 512}, 0.2);
  ASSERT_EQ(grid.size(), 15u);  // 5 columns (1408 px to step in strides of at most 409.6 px) and 3 rows
  cv::Mat covered(1080, 1920, CV_8U, cv::Scalar(0));
  for (const auto& r : grid) {
    EXPECT_EQ(r.width, 512);
    EXPECT_TRUE((r & cv::Rect(0, 0, 1920, 1080)) == r);
    covered(r).setTo(1);
  }
  EXPECT_EQ(cv::countNonZero(covered), 1920 * 1080);
  for (size_t i = 0; i + 1 < 5; ++i) EXPECT_GE(grid[i].x + 512 - grid[i + 1].x, 0.2 * 512);
  EXPECT_EQ(grid[4].x + 512, 1920);
  EXPECT_EQ(grid[14].y + 512, 1080);
  EXPECT_EQ(tile_grid(300, 200, {512, 512}, 0.2), std::vector<cv::Rect>({{0, 0, 512, 512}}));
  EXPECT_EQ(tile_grid(1024, 512, {512, 512}, 0.0).size(), 2u);
  // Non-square tiles: columns by their width, rows by their height.
  const auto wide = tile_grid(1920, 1080, {960, 544}, 0.0);
  ASSERT_EQ(wide.size(), 4u);
  EXPECT_EQ(wide[1], cv::Rect(960, 0, 960, 544));
  EXPECT_EQ(wide[3], cv::Rect(960, 536, 960, 544));
}

}  // namespace
}  // namespace ssd::data
