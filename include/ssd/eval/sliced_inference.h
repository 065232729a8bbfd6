#pragma once
// Sliced inference (tiling.infer): a grid of tiles over a large image, each run at the network's input size, and
// optionally the whole image too; each view's detections mapped back to image pixels and merged into one list, so
// that objects too small for the whole image resized still meet default boxes of their size.
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <opencv2/core/mat.hpp>

#include "ssd/config/config.h"
#include "ssd/eval/voc_eval.h"
#include "ssd/model/heads.h"
#include "ssd/model/ssd.h"

namespace ssd::eval {

/// One line for the log: the tile size in source pixels, the overlap, the merge and whether the whole image is run.
std::string describe_slicing(const config::TilingConfig& tiling, const config::ImageSize& image_size);

/// The views of one image: tiles (source pixels, data::tile_grid) and, last, the whole image.
struct SlicePlan {
  std::vector<cv::Rect> tiles;
  bool whole_image = false;
  int64_t views() const { return static_cast<int64_t>(tiles.size()) + (whole_image ? 1 : 0); }
};

/// tiling.* for a width x height image and a network input of image_size: the grid of data::tile_size tiles at
/// tiling.overlap, and the whole image with tiling.whole_image, unless the grid's one tile is the image itself.
SlicePlan plan_slices(int width, int height, const config::ImageSize& image_size, const config::TilingConfig& tiling);

/// The plan's views as network inputs [V, 3, H, W], normalised as evaluation prepares an image (data::prepare_for_eval):
/// each tile cut (mean fill past the image) and resized to the input size (a tile has the input's shape), the whole
/// image last, fitted as the model fits an image (`resize`: model.resize, data/input_fit.h).
at::Tensor slice_inputs(const cv::Mat& rgb, const SlicePlan& plan, const config::ImageSize& image_size, const std::vector<double>& pixel_mean,
                        const std::vector<double>& pixel_std, const std::string& resize);

/// The objects each view holds, in [0, 1] of that view, for the validation loss: a tile's as training cuts them
/// (data::tile_objects at tiling.min_visible), the whole image's as the model's fit places them (`resize` into an input
/// of image_size). `objects` in image pixels.
std::vector<std::vector<data::Object>> view_objects(const std::vector<data::Object>& objects, const SlicePlan& plan, int width,
                                                    int height, double min_visible, const config::ImageSize& image_size,
                                                    const std::string& resize);

/// One list from the views' detections (image pixels): per class, in descending score, a box is the same object as a
/// kept one when their intersection covers more than tiling.merge_threshold of the smaller box; nms drops it, wbf fuses
/// it into the kept one (coordinates the score-weighted mean of the fused boxes, score their best). The best
/// max_per_image are returned, in descending score.
std::vector<Detection> merge_views(std::vector<Detection> detections, const config::TilingConfig& tiling, int64_t max_per_image);

/// Head outputs of a chunk of views (views first .. first + size - 1 of the image), for the caller's loss.
using OnViews = std::function<void(int64_t first, const model::HeadOutput& output)>;

/// Runs the views (`inputs` from slice_inputs) through the model in chunks of batch_size, post-processes each view,
/// maps its detections to image pixels (clipped to the image) and merges them (merge_views; a single view is taken as
/// it is). image_id left empty.
std::vector<Detection> detect_sliced(model::Ssd& model, const at::Tensor& inputs, const SlicePlan& plan, int width, int height,
                                     const config::PostprocessConfig& postprocess, const config::TilingConfig& tiling,
                                     int64_t batch_size, c10::Device device, const OnViews& on_views = nullptr);

}  // namespace ssd::eval
