#include "ssd/eval/sliced_inference.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <fmt/format.h>
#include <cmath>
#include <cstring>

#include "ssd/data/augment.h"
#include "ssd/data/input_fit.h"
#include "ssd/data/tiles.h"
#include "ssd/model/postprocess.h"

namespace ssd::eval {

namespace {

double area(const Detection& d) { return std::max(0.0, d.x2 - d.x1) * std::max(0.0, d.y2 - d.y1); }

// Intersection over the smaller box: a box cut by a tile's edge lies inside the whole box of its object, at 1.
double intersection_over_smaller(const Detection& a, const Detection& b) {
  const double w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1), h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const double smaller = std::min(area(a), area(b));
  return smaller > 0 ? w * h / smaller : 0;
}

}  // namespace

std::string describe_slicing(const config::TilingConfig& t, const config::ImageSize& image_size) {
  const cv::Size tile = data::tile_size(image_size, t.scale);
  return fmt::format("sliced inference: tiles of {} source px (model.image_size {} at tiling.scale {:g}) overlapping by at "
                     "least {:g} of a side, {}merged by {} at {:g} of the smaller box",
                     data::tile_text(tile), image_size.str(), t.scale, t.overlap, t.whole_image ? "the whole image too, " : "",
                     t.merge, t.merge_threshold);
}

SlicePlan plan_slices(int width, int height, const config::ImageSize& image_size, const config::TilingConfig& tiling) {
  SlicePlan plan;
  const cv::Size tile = data::tile_size(image_size, tiling.scale);
  plan.tiles = data::tile_grid(width, height, tile, tiling.overlap);
  const bool one_tile_is_the_image = plan.tiles.size() == 1 && tile == cv::Size(width, height);
  plan.whole_image = tiling.whole_image && !one_tile_is_the_image;
  return plan;
}

at::Tensor slice_inputs(const cv::Mat& rgb, const SlicePlan& plan, const config::ImageSize& image_size, const std::vector<double>& mean,
                        const std::vector<double>& std, const std::string& resize) {
  data::Sample whole;
  whole.image = rgb;
  const cv::Scalar fill(std::lround(mean[0]), std::lround(mean[1]), std::lround(mean[2]));
  // Each view copied into its place in one tensor: no ATen kernel (at::stack), as this runs on loader threads
  // (data/transforms.h's to_normalized_tensor says why).
  auto out = at::empty({plan.views(), 3, image_size.height, image_size.width}, at::kFloat);
  const size_t bytes = sizeof(float) * 3 * static_cast<size_t>(image_size.height) * static_cast<size_t>(image_size.width);
  auto put = [&](int64_t v, const data::Sample& view, const std::string& fit) {
    const auto t = data::prepare_for_eval(view, mean, std, image_size, fit).image;
    std::memcpy(static_cast<char*>(out.data_ptr()) + static_cast<size_t>(v) * bytes, t.data_ptr(), bytes);
  };
  // A tile has the input's shape: resized as it is (its boxes map back by its sides).
  for (size_t v = 0; v < plan.tiles.size(); ++v) put(static_cast<int64_t>(v), data::cut_tile(whole, plan.tiles[v], 1.0, fill), "stretch");
  if (plan.whole_image) put(plan.views() - 1, whole, resize);
  return out;
}

std::vector<std::vector<data::Object>> view_objects(const std::vector<data::Object>& objects, const SlicePlan& plan, int width,
                                                    int height, double min_visible, const config::ImageSize& image_size,
                                                    const std::string& resize) {
  std::vector<std::vector<data::Object>> out;
  auto normalised = [](std::vector<data::Object> in, float w, float h) {
    for (auto& o : in) o.x1 /= w, o.x2 /= w, o.y1 /= h, o.y2 /= h;
    return in;
  };
  for (const auto& r : plan.tiles)
    out.push_back(normalised(data::tile_objects(objects, r, min_visible), static_cast<float>(r.width), static_cast<float>(r.height)));
  if (plan.whole_image) {
    const auto input = data::cv_size(image_size);
    out.push_back(resize == "stretch" ? normalised(objects, static_cast<float>(width), static_cast<float>(height))
                                      : normalised(data::fit_objects(objects, {width, height}, input, resize),
                                                   static_cast<float>(input.width), static_cast<float>(input.height)));
  }
  return out;
}

std::vector<Detection> merge_views(std::vector<Detection> dets, const config::TilingConfig& tiling, int64_t max_per_image) {
  std::stable_sort(dets.begin(), dets.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  const bool fuse = tiling.merge == "wbf";
  std::vector<Detection> kept;
  std::vector<std::vector<const Detection*>> members;  // wbf: the boxes fused into each kept one
  for (const auto& d : dets) {
    // nms: every later box scores lower and would be cut by max_per_image if kept; wbf still fuses them.
    if (!fuse && static_cast<int64_t>(kept.size()) >= max_per_image) break;
    size_t same = kept.size();
    for (size_t k = 0; k < kept.size() && same == kept.size(); ++k)
      if (kept[k].label == d.label && intersection_over_smaller(kept[k], d) > tiling.merge_threshold) same = k;
    if (same == kept.size()) {
      kept.push_back(d);
      members.push_back({&d});
      continue;
    }
    if (!fuse) continue;
    members[same].push_back(&d);
    double weight = 0, x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    for (const auto* m : members[same]) weight += m->score, x1 += m->score * m->x1, y1 += m->score * m->y1, x2 += m->score * m->x2, y2 += m->score * m->y2;
    Detection& f = kept[same];
    f.x1 = x1 / weight, f.y1 = y1 / weight, f.x2 = x2 / weight, f.y2 = y2 / weight, f.area = -1;
  }
  if (static_cast<int64_t>(kept.size()) > max_per_image) kept.resize(static_cast<size_t>(max_per_image));
  return kept;
}

std::vector<Detection> detect_sliced(model::Ssd& model, const at::Tensor& inputs, const SlicePlan& plan, int width, int height,
                                     const config::PostprocessConfig& postprocess, const config::TilingConfig& tiling,
                                     int64_t batch_size, c10::Device device, const OnViews& on_views) {
  torch::NoGradGuard no_grad;
  std::vector<Detection> all;
  const int64_t views = inputs.size(0);
  for (int64_t first = 0; first < views; first += batch_size) {
    const int64_t n = std::min(batch_size, views - first);
    const auto out = model->forward(inputs.narrow(0, first, n).to(device, /*non_blocking=*/true));
    if (on_views) on_views(first, out);
    const auto dets = model::postprocess(out.loc, out.conf, model->priors(), model->box_coder(), postprocess);
    for (int64_t k = 0; k < n; ++k) {
      const auto v = static_cast<size_t>(first + k);
      const bool whole = v >= plan.tiles.size();
      // A view's box in [0, 1] times its side in source pixels (in float, as to_pixel_detections scales a whole image),
      // plus its origin.
      const cv::Rect r = whole ? cv::Rect(0, 0, width, height) : plan.tiles[v];
      // The whole image was fitted as the model fits one: its boxes back to the image's [0, 1] first.
      const auto boxes = whole ? data::input_boxes_to_image(dets[k].boxes, {width, height}, data::cv_size(model->image_size()), model->resize_policy())
                               : dets[k].boxes;
      const auto b = boxes.to(at::kCPU, at::kFloat).contiguous();
      const auto s = dets[k].scores.to(at::kCPU, at::kFloat).contiguous();
      const auto l = dets[k].labels.to(at::kCPU, at::kLong).contiguous();
      for (int64_t i = 0; i < b.size(0); ++i) {
        const float* q = b.data_ptr<float>() + 4 * i;
        auto px = [](float t, int side, int origin, int extent) {
          return std::clamp(static_cast<double>(t * static_cast<float>(side)) + origin, 0.0, static_cast<double>(extent));
        };
        const double x1 = px(q[0], r.width, r.x, width), y1 = px(q[1], r.height, r.y, height);
        const double x2 = px(q[2], r.width, r.x, width), y2 = px(q[3], r.height, r.y, height);
        const bool was_a_box = q[2] > q[0] && q[3] > q[1];
        if (was_a_box && (x2 <= x1 || y2 <= y1)) continue;  // wholly in a tile's fill past the image
        all.push_back(detection_from_xywh("", l.data_ptr<int64_t>()[i], s.data_ptr<float>()[i], x1, y1, x2 - x1, y2 - y1));
      }
    }
  }
  return views == 1 ? all : merge_views(std::move(all), tiling, postprocess.max_per_image);
}

}  // namespace ssd::eval
