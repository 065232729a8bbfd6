// Geometric steps: flips, crops, zoom-out and one affine map (rotate, shear, shift, scale). Each is one map of the
// image plane (WarpStep: augment_steps/warp.h), which moves the boxes as it moves the pixels: flips and crops are exact
// on the box; the affine map moves a box's four corners and re-fits the box around them (the tightest axis-aligned box
// of the moved box, as Albumentations and Ultralytics do). A box that a border cuts keeps its inside part when at least
// min_visibility of its area is left, else it is dropped.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "ssd/data/augment.h"
#include "ssd/data/augment_steps/step.h"

namespace ssd::data::augment_steps {

namespace {

using config::plugin_key;

constexpr const char* kConsumer = "data::augment_steps (geometric)";

// A fill colour: [] (the model's pixel mean) or [R, G, B] in 0..255.
config::Rule<std::vector<double>> fill_rule() {
  return {"[] or [R, G, B] in 0..255", [](const std::vector<double>& v) {
            return v.empty() || (v.size() == 3 && std::all_of(v.begin(), v.end(), [](double x) { return x >= 0 && x <= 255; }));
          }};
}

// The map that cuts `rect` out of an image.
Warp crop_warp(const cv::Rect& rect) {
  Warp w = identity_warp(rect.size());
  w.map = cv::Matx23d(1, 0, -rect.x, 0, 1, -rect.y);
  w.cuts = true;
  return w;
}

// ---- hflip, vflip
struct FlipParams {
  double p = 0.5;
};

class Flip : public WarpStep {
 public:
  Flip(double p, bool vertical) : WarpStep(p), vertical_(vertical) {}
  Warp plan(cv::Size size, std::vector<Object>& objects, std::mt19937_64&) const override {
    Warp w = identity_warp(size);
    const auto W = static_cast<float>(size.width), H = static_cast<float>(size.height);
    w.map = vertical_ ? cv::Matx23d(1, 0, 0, 0, -1, H) : cv::Matx23d(-1, 0, W, 0, 1, 0);
    for (auto& o : objects) {
      if (vertical_) {
        const float y1 = H - o.y2, y2 = H - o.y1;
        o.y1 = y1, o.y2 = y2;
      } else {
        const float x1 = W - o.x2, x2 = W - o.x1;
        o.x1 = x1, o.x2 = x2;
      }
    }
    return w;
  }

 private:
  bool vertical_;
};

StepEntry flip_entry(const char* name, bool vertical) {
  return {name, vertical ? "mirror top-bottom" : "mirror left-right",
          [name, vertical](const config::PluginParams& params, const Context&) -> std::unique_ptr<Step> {
            return std::make_unique<Flip>(params.get<FlipParams>(name).p, vertical);
          },
          {plugin_key(name, std::string("augment.") + name + ".p", &FlipParams::p, config::in_range(0.0, 1.0), kConsumer,
                      std::string(name) + ": probability.")}};
}

// ---- iou_crop: the SSD paper's crop
struct IouCropParams {
  double p = 0.857;
  std::vector<double> min_ious = {0.0, 0.1, 0.3, 0.5, 0.7, 0.9};
  int64_t tries = 50;
};

class IouCrop : public WarpStep {
 public:
  explicit IouCrop(const IouCropParams& p) : WarpStep(p.p), params_(p) {}
  Warp plan(cv::Size size, std::vector<Object>& objects, std::mt19937_64& rng) const override {
    const auto rect = iou_constrained_crop(objects, size.width, size.height, params_.min_ious, static_cast<int>(params_.tries), rng);
    if (!rect) return identity_warp(size);
    objects = crop_objects(objects, *rect);
    return crop_warp(*rect);
  }

 private:
  IouCropParams params_;
};

StepEntry iou_crop_entry() {
  const char* name = "iou_crop";
  return {name, "the SSD paper's crop: 0.3 to 1 of each side, aspect 1/2 to 2, IoU with some object at least a drawn minimum; "
                "keeps the objects whose centre is inside",
          [name](const config::PluginParams& params, const Context&) -> std::unique_ptr<Step> {
            return std::make_unique<IouCrop>(params.get<IouCropParams>(name));
          },
          {plugin_key(name, "augment.iou_crop.p", &IouCropParams::p, config::in_range(0.0, 1.0), kConsumer, "iou_crop: probability."),
           plugin_key(name, "augment.iou_crop.min_ious", &IouCropParams::min_ious, config::unit_interval_list(), kConsumer,
                      "iou_crop: minimum IoU with some object, drawn uniformly from the list; 0 = any crop."),
           plugin_key(name, "augment.iou_crop.tries", &IouCropParams::tries, config::in_range<int64_t>(1, 1000), kConsumer,
                      "iou_crop: draws before giving up and keeping the image.")}};
}

// ---- random_sized_crop: a crop of random area and aspect ratio (torchvision's RandomResizedCrop before the resize)
struct SizedCropParams {
  double p = 0.5;
  std::vector<double> scale = {0.3, 1.0};
  std::vector<double> ratio = {0.75, 1.3333333333333333};
  double min_visibility = 0.3;
};

class SizedCrop : public WarpStep {
 public:
  explicit SizedCrop(const SizedCropParams& p) : WarpStep(p.p), params_(p) {}
  Warp plan(cv::Size size, std::vector<Object>& objects, std::mt19937_64& rng) const override {
    const double area = static_cast<double>(size.width) * size.height;
    const double log_lo = std::log(params_.ratio.front()), log_hi = std::log(params_.ratio.back());
    for (int attempt = 0; attempt < 10; ++attempt) {  // as torchvision: 10 draws, then the whole image
      const double target = area * draw(rng, params_.scale);
      const double aspect = std::exp(uniform(rng, log_lo, log_hi));
      const int w = static_cast<int>(std::lround(std::sqrt(target * aspect))), h = static_cast<int>(std::lround(std::sqrt(target / aspect)));
      if (w < 1 || h < 1 || w > size.width || h > size.height) continue;
      const int x = std::uniform_int_distribution<int>(0, size.width - w)(rng);
      const int y = std::uniform_int_distribution<int>(0, size.height - h)(rng);
      return cut(objects, cv::Rect(x, y, w, h), params_.min_visibility);
    }
    return identity_warp(size);
  }

  /// Crops rect, the objects clipped to it under the visibility rule.
  static Warp cut(std::vector<Object>& objects, const cv::Rect& rect, double min_visibility) {
    for (auto& o : objects) o.x1 -= rect.x, o.x2 -= rect.x, o.y1 -= rect.y, o.y2 -= rect.y;
    objects = clip_to_image(objects, rect.width, rect.height, min_visibility);
    return crop_warp(rect);
  }

 private:
  SizedCropParams params_;
};

StepEntry sized_crop_entry() {
  const char* name = "random_sized_crop";
  return {name, "a crop of scale x the image's area and a log-uniform aspect ratio (torchvision's RandomResizedCrop)",
          [name](const config::PluginParams& params, const Context&) -> std::unique_ptr<Step> {
            return std::make_unique<SizedCrop>(params.get<SizedCropParams>(name));
          },
          {plugin_key(name, "augment.random_sized_crop.p", &SizedCropParams::p, config::in_range(0.0, 1.0), kConsumer,
                      "random_sized_crop: probability."),
           plugin_key(name, "augment.random_sized_crop.scale", &SizedCropParams::scale, config::interval_within(0.01, 1.0), kConsumer,
                      "random_sized_crop: the crop's share of the image's area, drawn uniformly."),
           plugin_key(name, "augment.random_sized_crop.ratio", &SizedCropParams::ratio, config::interval_within(0.1, 10.0), kConsumer,
                      "random_sized_crop: width / height, drawn log-uniformly."),
           plugin_key(name, "augment.random_sized_crop.min_visibility", &SizedCropParams::min_visibility, config::in_range(0.0, 1.0),
                      kConsumer, "random_sized_crop: a box cut by the crop stays when this share of its area is inside.")}};
}

// ---- center_crop
struct CenterCropParams {
  double p = 1.0;
  double fraction = 0.8;
  double min_visibility = 0.3;
};

class CenterCrop : public WarpStep {
 public:
  explicit CenterCrop(const CenterCropParams& p) : WarpStep(p.p), params_(p) {}
  Warp plan(cv::Size size, std::vector<Object>& objects, std::mt19937_64&) const override {
    const int w = std::max(1, static_cast<int>(std::lround(size.width * params_.fraction)));
    const int h = std::max(1, static_cast<int>(std::lround(size.height * params_.fraction)));
    return SizedCrop::cut(objects, cv::Rect((size.width - w) / 2, (size.height - h) / 2, w, h), params_.min_visibility);
  }

 private:
  CenterCropParams params_;
};

StepEntry center_crop_entry() {
  const char* name = "center_crop";
  return {name, "the centre fraction of each side",
          [name](const config::PluginParams& params, const Context&) -> std::unique_ptr<Step> {
            return std::make_unique<CenterCrop>(params.get<CenterCropParams>(name));
          },
          {plugin_key(name, "augment.center_crop.p", &CenterCropParams::p, config::in_range(0.0, 1.0), kConsumer, "center_crop: probability."),
           plugin_key(name, "augment.center_crop.fraction", &CenterCropParams::fraction, config::in_range(0.05, 1.0), kConsumer,
                      "center_crop: share of each side kept."),
           plugin_key(name, "augment.center_crop.min_visibility", &CenterCropParams::min_visibility, config::in_range(0.0, 1.0), kConsumer,
                      "center_crop: a box cut by the crop stays when this share of its area is inside.")}};
}

// ---- random_crop: a crop of a drawn share of each side (the image's aspect ratio) at a random place
struct RandomCropParams {
  double p = 0.5;
  std::vector<double> fraction = {0.6, 1.0};
  double min_visibility = 0.3;
};

class RandomCrop : public WarpStep {
 public:
  explicit RandomCrop(const RandomCropParams& p) : WarpStep(p.p), params_(p) {}
  Warp plan(cv::Size size, std::vector<Object>& objects, std::mt19937_64& rng) const override {
    const double f = draw(rng, params_.fraction);
    const int w = std::clamp(static_cast<int>(std::lround(size.width * f)), 1, size.width);
    const int h = std::clamp(static_cast<int>(std::lround(size.height * f)), 1, size.height);
    const int x = std::uniform_int_distribution<int>(0, size.width - w)(rng);
    const int y = std::uniform_int_distribution<int>(0, size.height - h)(rng);
    return SizedCrop::cut(objects, cv::Rect(x, y, w, h), params_.min_visibility);
  }

 private:
  RandomCropParams params_;
};

StepEntry random_crop_entry() {
  const char* name = "random_crop";
  return {name, "a crop of a drawn share of each side (the image's aspect ratio) at a random place",
          [name](const config::PluginParams& params, const Context&) -> std::unique_ptr<Step> {
            return std::make_unique<RandomCrop>(params.get<RandomCropParams>(name));
          },
          {plugin_key(name, "augment.random_crop.p", &RandomCropParams::p, config::in_range(0.0, 1.0), kConsumer, "random_crop: probability."),
           plugin_key(name, "augment.random_crop.fraction", &RandomCropParams::fraction, config::interval_within(0.05, 1.0), kConsumer,
                      "random_crop: share of each side kept, drawn uniformly."),
           plugin_key(name, "augment.random_crop.min_visibility", &RandomCropParams::min_visibility, config::in_range(0.0, 1.0), kConsumer,
                      "random_crop: a box cut by the crop stays when this share of its area is inside.")}};
}

// ---- zoom_out: the SSD paper's expand
struct ZoomOutParams {
  double p = 0.5;
  double max_ratio = 4.0;
  std::vector<double> fill;  ///< RGB; empty = the model's pixel mean
};

class ZoomOut : public WarpStep {
 public:
  ZoomOut(const ZoomOutParams& p, const Context& c)
      : WarpStep(p.p), params_(p), fill_(p.fill.size() == 3 ? cv::Scalar(p.fill[0], p.fill[1], p.fill[2]) : c.mean) {}
  // The canvas is ratio x the image's sides; it is made at the image's own size, the image shrunk into it by 1 / ratio,
  // so that a large ratio on a large image costs no more memory than the image (the pipeline resizes to the model's
  // input at the end anyway).
  Warp plan(cv::Size size, std::vector<Object>& objects, std::mt19937_64& rng) const override {
    const int W = size.width, H = size.height;
    const double ratio = uniform(rng, 1.0, params_.max_ratio);
    const double left = uniform(rng, 0, W * ratio - W) / ratio, top = uniform(rng, 0, H * ratio - H) / ratio;
    Warp w = identity_warp(size);
    w.map = cv::Matx23d(1 / ratio, 0, left, 0, 1 / ratio, top);
    w.reveals = true;
    w.fill = fill_;
    // (every object stays, however small it gets: the final resize decides its size; clamped for float rounding)
    for (auto& o : objects) {
      o.x1 = std::min(static_cast<float>(o.x1 / ratio + left), static_cast<float>(W));
      o.x2 = std::min(static_cast<float>(o.x2 / ratio + left), static_cast<float>(W));
      o.y1 = std::min(static_cast<float>(o.y1 / ratio + top), static_cast<float>(H));
      o.y2 = std::min(static_cast<float>(o.y2 / ratio + top), static_cast<float>(H));
    }
    return w;
  }

 private:
  ZoomOutParams params_;
  cv::Scalar fill_;
};

StepEntry zoom_out_entry() {
  const char* name = "zoom_out";
  return {name, "the SSD paper's expand: the image at a random place on a canvas up to max_ratio x its sides (made at the image's size)",
          [name](const config::PluginParams& params, const Context& context) -> std::unique_ptr<Step> {
            return std::make_unique<ZoomOut>(params.get<ZoomOutParams>(name), context);
          },
          {plugin_key(name, "augment.zoom_out.p", &ZoomOutParams::p, config::in_range(0.0, 1.0), kConsumer, "zoom_out: probability."),
           plugin_key(name, "augment.zoom_out.max_ratio", &ZoomOutParams::max_ratio, config::in_range(1.0, 16.0), kConsumer,
                      "zoom_out: largest canvas side as a multiple of the image side."),
           plugin_key(name, "augment.zoom_out.fill", &ZoomOutParams::fill, fill_rule(), kConsumer,
                      "zoom_out: canvas colour [R, G, B] in 0..255; [] = the model's pixel mean.")}};
}

// ---- affine: rotate, shear, shift and scale in one map
struct AffineParams {
  double p = 0.5;
  double degrees = 10;               ///< rotation drawn from [-degrees, degrees]
  double shear = 0;                  ///< shear angle in degrees, each axis from [-shear, shear]
  double translate = 0.1;            ///< shift, each axis from [-translate, translate] x the side
  std::vector<double> scale = {0.8, 1.2};
  double min_visibility = 0.3;
  std::string border = "constant";   ///< constant (fill), reflect, replicate
  std::string interpolation = "linear";
  std::vector<double> fill;          ///< RGB for border constant; empty = the model's pixel mean
};

int border_mode(const std::string& name) {
  if (name == "reflect") return cv::BORDER_REFLECT_101;
  if (name == "replicate") return cv::BORDER_REPLICATE;
  return cv::BORDER_CONSTANT;
}

int interpolation_flag(const std::string& name) {
  if (name == "nearest") return cv::INTER_NEAREST;
  if (name == "cubic") return cv::INTER_CUBIC;
  return cv::INTER_LINEAR;
}

class Affine : public WarpStep {
 public:
  Affine(const AffineParams& p, const Context& c)
      : WarpStep(p.p), params_(p), fill_(p.fill.size() == 3 ? cv::Scalar(p.fill[0], p.fill[1], p.fill[2]) : c.mean) {}
  Warp plan(cv::Size size, std::vector<Object>& objects, std::mt19937_64& rng) const override {
    const double W = size.width, H = size.height, cx = W / 2, cy = H / 2;
    const double angle = uniform(rng, -params_.degrees, params_.degrees) * M_PI / 180;
    const double shear_x = std::tan(uniform(rng, -params_.shear, params_.shear) * M_PI / 180);
    const double shear_y = std::tan(uniform(rng, -params_.shear, params_.shear) * M_PI / 180);
    const double scale = draw(rng, params_.scale);
    const double tx = uniform(rng, -params_.translate, params_.translate) * W, ty = uniform(rng, -params_.translate, params_.translate) * H;
    // Around the centre: shift(centre + t) * rotate * shear * scale * shift(-centre); rotation counter-clockwise on screen.
    const cv::Matx33d to_centre(1, 0, -cx, 0, 1, -cy, 0, 0, 1), back(1, 0, cx + tx, 0, 1, cy + ty, 0, 0, 1);
    const cv::Matx33d rotate(std::cos(angle), std::sin(angle), 0, -std::sin(angle), std::cos(angle), 0, 0, 0, 1);
    const cv::Matx33d shear(1, shear_x, 0, shear_y, 1, 0, 0, 0, 1), zoom(scale, 0, 0, 0, scale, 0, 0, 0, 1);
    const cv::Matx33d m = back * rotate * shear * zoom * to_centre;
    const cv::Matx23d forward(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2));
    Warp w = identity_warp(size);
    w.map = forward;
    // Shifted, turned or scaled up, part of the image leaves the frame: a later step that brings in fill must not
    // bring that part back.
    w.reveals = true, w.cuts = true;
    w.border = border_mode(params_.border), w.interpolation = interpolation_flag(params_.interpolation), w.fill = fill_;
    for (auto& o : objects) {
      float x1 = INFINITY, y1 = INFINITY, x2 = -INFINITY, y2 = -INFINITY;
      for (const auto& [x, y] : {std::pair{o.x1, o.y1}, {o.x2, o.y1}, {o.x1, o.y2}, {o.x2, o.y2}}) {
        const auto u = static_cast<float>(forward(0, 0) * x + forward(0, 1) * y + forward(0, 2));
        const auto v = static_cast<float>(forward(1, 0) * x + forward(1, 1) * y + forward(1, 2));
        x1 = std::min(x1, u), y1 = std::min(y1, v), x2 = std::max(x2, u), y2 = std::max(y2, v);
      }
      o.x1 = x1, o.y1 = y1, o.x2 = x2, o.y2 = y2;
    }
    objects = clip_to_image(objects, size.width, size.height, params_.min_visibility);
    return w;
  }

 private:
  AffineParams params_;
  cv::Scalar fill_;
};

StepEntry affine_entry() {
  const char* name = "affine";
  return {name, "rotate, shear, shift and scale about the centre in one map (shift-scale-rotate); boxes re-fitted around their "
                "moved corners",
          [name](const config::PluginParams& params, const Context& context) -> std::unique_ptr<Step> {
            return std::make_unique<Affine>(params.get<AffineParams>(name), context);
          },
          {plugin_key(name, "augment.affine.p", &AffineParams::p, config::in_range(0.0, 1.0), kConsumer, "affine: probability."),
           plugin_key(name, "augment.affine.degrees", &AffineParams::degrees, config::in_range(0.0, 180.0), kConsumer,
                      "affine: rotation drawn from [-degrees, degrees]."),
           plugin_key(name, "augment.affine.shear", &AffineParams::shear, config::in_range(0.0, 45.0), kConsumer,
                      "affine: shear angle in degrees, each axis from [-shear, shear]."),
           plugin_key(name, "augment.affine.translate", &AffineParams::translate, config::in_range(0.0, 0.5), kConsumer,
                      "affine: shift of each axis, from [-translate, translate] x the side."),
           plugin_key(name, "augment.affine.scale", &AffineParams::scale, config::interval_within(0.1, 10.0), kConsumer,
                      "affine: zoom factor, drawn uniformly."),
           plugin_key(name, "augment.affine.min_visibility", &AffineParams::min_visibility, config::in_range(0.0, 1.0), kConsumer,
                      "affine: a box cut by the border stays when this share of its re-fitted area is inside."),
           plugin_key(name, "augment.affine.border", &AffineParams::border, config::one_of({"constant", "reflect", "replicate"}), kConsumer,
                      "affine: what fills the image outside: constant (fill), reflect, replicate (objects mirrored into the border get no box)."),
           plugin_key(name, "augment.affine.interpolation", &AffineParams::interpolation,
                      config::one_of({"linear", "nearest", "cubic"}), kConsumer, "affine: resampling."),
           plugin_key(name, "augment.affine.fill", &AffineParams::fill, fill_rule(), kConsumer,
                      "affine: border colour [R, G, B] in 0..255 for border constant; [] = the model's pixel mean.")}};
}

}  // namespace

std::vector<StepEntry> geometric_steps() {
  return {flip_entry("hflip", false), flip_entry("vflip", true), iou_crop_entry(), random_crop_entry(), sized_crop_entry(),
          center_crop_entry(), zoom_out_entry(), affine_entry()};
}

}  // namespace ssd::data::augment_steps
