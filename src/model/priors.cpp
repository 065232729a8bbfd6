#include "ssd/model/priors.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "ssd/util/error.h"

namespace ssd::model {

int64_t PriorTable::anchors_per_cell(size_t k) const {
  return 2 + 2 * static_cast<int64_t>(aspect_ratios[k].size());
}

std::vector<int64_t> PriorTable::anchors_per_cell() const {
  std::vector<int64_t> out;
  for (size_t k = 0; k < min_sizes.size(); ++k) out.push_back(anchors_per_cell(k));
  return out;
}

std::vector<double> PriorTable::coarser_steps() const {
  std::vector<double> out;
  for (size_t k = 0; k < steps.size(); ++k) out.push_back(std::max(steps[k], step_y(k)));
  return out;
}

PriorTable ssd300_table() {
  PriorTable t;
  t.preset = "ssd300";
  t.min_sizes = {30, 60, 111, 162, 213, 264};
  t.max_sizes = {60, 111, 162, 213, 264, 315};
  t.steps = {8, 16, 32, 64, 100, 300};
  t.aspect_ratios = {{2}, {2, 3}, {2, 3}, {2, 3}, {2}, {2}};
  return t;
}

PriorTable ssd512_table() {
  PriorTable t;
  t.preset = "ssd512";
  // Caffe ssd_pascal_512.py: min_ratio 15, max_ratio 90 over levels 2..7, level 1 at 4% / 10% of 512.
  t.min_sizes = {20.48, 76.8, 153.6, 230.4, 307.2, 384.0, 460.8};
  t.max_sizes = {51.2, 153.6, 230.4, 307.2, 384.0, 460.8, 537.6};
  t.steps = {8, 16, 32, 64, 128, 256, 512};
  t.aspect_ratios = {{2}, {2, 3}, {2, 3}, {2, 3}, {2, 3}, {2}, {2}};
  return t;
}

PriorTable torchvision_ssd300_table() {
  PriorTable t;
  t.preset = "torchvision";
  // torchvision's ssd300_vgg16: DefaultBoxGenerator(scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05]) at 300 px.
  t.min_sizes = {21, 45, 99, 153, 207, 261};
  t.max_sizes = {45, 99, 153, 207, 261, 315};
  t.steps = {8, 16, 32, 64, 100, 300};
  t.aspect_ratios = {{2}, {2, 3}, {2, 3}, {2, 3}, {2}, {2}};
  return t;
}

namespace {

// The paper's rule s_k = s_min + (s_max - s_min) * k / (m - 1), k = 0..m-1, with s_m = 1 for the
// last level's second square (torchvision's DefaultBoxGenerator); aspect ratios 2 and 3 everywhere. The fractions
// are of the shorter side, so that a non-square input keeps its boxes square in pixels.
PriorTable scales_table(double s_min, double s_max, const config::ImageSize& image, size_t levels) {
  PriorTable t;
  t.preset = "scales";
  std::vector<double> s;
  for (size_t k = 0; k < levels; ++k)
    s.push_back(levels == 1 ? s_min : s_min + (s_max - s_min) * static_cast<double>(k) / (levels - 1));
  s.push_back(1.0);
  const double side = static_cast<double>(image.shorter());
  for (size_t k = 0; k < levels; ++k) {
    t.min_sizes.push_back(s[k] * side);
    t.max_sizes.push_back(s[k + 1] * side);
    t.aspect_ratios.push_back({2, 3});
  }
  return t;
}

// A paper's table at a non-square input: box sides scaled by the shorter side over the table's side, and the centre
// spacing left to the maps (its steps are those of its own square). Square inputs take the table as it is, as always.
void fit_table(PriorTable& t, double native_side, const config::ImageSize& image) {
  if (image.square()) return;
  const double scale = static_cast<double>(image.shorter()) / native_side;
  for (auto& v : t.min_sizes) v *= scale;
  for (auto& v : t.max_sizes) v *= scale;
  t.steps.clear();
}

template <typename T>
void check_length(const std::vector<T>& v, size_t levels, const std::string& key, bool from_preset,
                  const std::string& preset, const config::ImageSize& image) {
  if (v.size() == levels) return;
  throw ConfigError(key + ": has " + std::to_string(v.size()) + " entries" +
                    (from_preset ? " (from preset " + preset + ")" : std::string()) + ", expected " +
                    std::to_string(levels) + ", one per feature map of the backbone at image_size " + image.str());
}

}  // namespace

PriorTable resolve_priors(const config::PriorConfig& c, const std::string& backbone_preset, const config::ImageSize& image,
                          const std::vector<FeatureSpec>& specs) {
  const size_t levels = specs.size();
  const std::string preset = c.preset == "auto" ? backbone_preset : c.preset;
  PriorTable t;
  if (preset == "ssd300") t = ssd300_table(), fit_table(t, 300, image);
  else if (preset == "ssd512") t = ssd512_table(), fit_table(t, 512, image);
  else if (preset == "torchvision") t = torchvision_ssd300_table(), fit_table(t, 300, image);
  else if (preset == "scales") t = scales_table(c.s_min, c.s_max, image, levels);
  else throw ConfigError("model.priors.preset: unknown preset '" + preset + "'");
  if (c.preset == "auto") t.preset = "auto (" + preset + ")";

  // Each list is the config's when given, else the preset's; all must have one entry per feature map.
  if (!c.min_sizes.empty()) t.min_sizes = c.min_sizes;
  if (!c.max_sizes.empty()) t.max_sizes = c.max_sizes;
  if (!c.aspect_ratios.empty()) t.aspect_ratios = c.aspect_ratios;
  if (!c.steps.empty()) t.steps = c.steps;
  t.offset = c.offset;
  t.clip = c.clip;
  check_length(t.min_sizes, levels, "model.priors.min_sizes", c.min_sizes.empty(), preset, image);
  check_length(t.max_sizes, levels, "model.priors.max_sizes", c.max_sizes.empty(), preset, image);
  check_length(t.aspect_ratios, levels, "model.priors.aspect_ratios", c.aspect_ratios.empty(), preset, image);
  if (t.steps.empty()) {
    // Derived from the maps themselves: the spacing that spreads a map's centres evenly over the input, per axis.
    for (const auto& s : specs) {
      t.steps.push_back(static_cast<double>(image.width) / s.width);
      t.steps_y.push_back(static_cast<double>(image.height) / s.height);
    }
    if (t.steps_y == t.steps) t.steps_y.clear();
  }
  check_length(t.steps, levels, "model.priors.steps", c.steps.empty(), preset, image);
  return t;
}

at::Tensor make_priors(const PriorTable& t, const config::ImageSize& image, const std::vector<FeatureSpec>& specs) {
  const double W = static_cast<double>(image.width), H = static_cast<double>(image.height);
  std::vector<at::Tensor> levels;
  for (size_t k = 0; k < specs.size(); ++k) {
    const int64_t fh = specs[k].height, fw = specs[k].width;
    // Anchor shapes of this level, [A, 2] (w, h) normalised: square in pixels, so w and h differ on a non-square input.
    std::vector<double> wh;
    const double sw = t.min_sizes[k] / W, sh = t.min_sizes[k] / H;
    const double s2 = std::sqrt(t.min_sizes[k] * t.max_sizes[k]);
    wh.insert(wh.end(), {sw, sh, s2 / W, s2 / H});
    for (double r : t.aspect_ratios[k]) {
      const double q = std::sqrt(r);
      wh.insert(wh.end(), {sw * q, sh / q, sw / q, sh * q});
    }
    const int64_t A = static_cast<int64_t>(wh.size() / 2);
    const auto shapes = at::tensor(wh, at::kDouble).view({1, A, 2}).expand({fh * fw, A, 2});
    const auto xs = (at::arange(fw, at::kDouble) + t.offset) * (t.steps[k] / W);
    const auto ys = (at::arange(fh, at::kDouble) + t.offset) * (t.step_y(k) / H);
    const auto grid = at::meshgrid({ys, xs}, "ij");  // grid[0] = y (rows), grid[1] = x
    const auto centres = at::stack({grid[1].reshape(-1), grid[0].reshape(-1)}, 1).view({fh * fw, 1, 2}).expand({fh * fw, A, 2});
    levels.push_back(at::cat({centres, shapes}, 2).reshape({-1, 4}));
  }
  auto priors = at::cat(levels, 0);
  // Clipping limits widths and heights to the image (torchvision's DefaultBoxGenerator). Centres stay
  // where the grid puts them, even slightly past 1 (SSD300's 10x10 level has its last centre at 1.013):
  // moving them would break the grid spacing that the head's receptive fields assume.
  if (t.clip) priors.slice(1, 2, 4).clamp_(0.0, 1.0);
  return priors.to(at::kFloat);
}

}  // namespace ssd::model
