// Geometric steps: flips, crops, zoom-out and one affine map (rotate, shear, shift, scale). Boxes move exactly with
// the image: flips and crops are exact on the box; the affine map moves a box's four corners and re-fits the box
// around them (the tightest axis-aligned box of the moved box, as Albumentations and Ultralytics do). A box that a
// border cuts keeps its inside part when at least min_visibility of its area is left, else it is dropped.
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

// ---- hflip, vflip
struct FlipParams {
  double p = 0.5;
};

class Flip : public Step {
 public:
  Flip(double p, bool vertical) : Step(p), vertical_(vertical) {}
  void apply(Labeled& s, std::mt19937_64&) const override {
    cv::flip(s.image, s.image, vertical_ ? 0 : 1);
    const auto W = static_cast<float>(s.image.cols), H = static_cast<float>(s.image.rows);
    for (auto& o : s.objects) {
      if (vertical_) {
        const float y1 = H - o.y2, y2 = H - o.y1;
        o.y1 = y1, o.y2 = y2;
      } else {
        const float x1 = W - o.x2, x2 = W - o.x1;
        o.x1 = x1, o.x2 = x2;
      }
    }
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

class IouCrop : public Step {
 public:
  explicit IouCrop(const IouCropParams& p) : Step(p.p), params_(p) {}
  void apply(Labeled& s, std::mt19937_64& rng) const override {
    const auto rect = iou_constrained_crop(s.objects, s.image.cols, s.image.rows, params_.min_ious, static_cast<int>(params_.tries), rng);
    if (rect) s = crop(s, *rect);
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

class SizedCrop : public Step {
 public:
  explicit SizedCrop(const SizedCropParams& p) : Step(p.p), params_(p) {}
  void apply(Labeled& s, std::mt19937_64& rng) const override {
    const double area = static_cast<double>(s.image.cols) * s.image.rows;
    const double log_lo = std::log(params_.ratio.front()), log_hi = std::log(params_.ratio.back());
    for (int attempt = 0; attempt < 10; ++attempt) {  // as torchvision: 10 draws, then the whole image
      const double target = area * draw(rng, params_.scale);
      const double aspect = std::exp(uniform(rng, log_lo, log_hi));
      const int w = static_cast<int>(std::lround(std::sqrt(target * aspect))), h = static_cast<int>(std::lround(std::sqrt(target / aspect)));
      if (w < 1 || h < 1 || w > s.image.cols || h > s.image.rows) continue;
      const int x = std::uniform_int_distribution<int>(0, s.image.cols - w)(rng);
      const int y = std::uniform_int_distribution<int>(0, s.image.rows - h)(rng);
      cut(s, cv::Rect(x, y, w, h), params_.min_visibility);
      return;
    }
  }

  /// Crops rect, the objects clipped to it under the visibility rule.
  static void cut(Labeled& s, const cv::Rect& rect, double min_visibility) {
    for (auto& o : s.objects) o.x1 -= rect.x, o.x2 -= rect.x, o.y1 -= rect.y, o.y2 -= rect.y;
    s.objects = clip_to_image(s.objects, rect.width, rect.height, min_visibility);
    s.image = s.image(rect).clone();
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

class CenterCrop : public Step {
 public:
  explicit CenterCrop(const CenterCropParams& p) : Step(p.p), params_(p) {}
  void apply(Labeled& s, std::mt19937_64&) const override {
    const int w = std::max(1, static_cast<int>(std::lround(s.image.cols * params_.fraction)));
    const int h = std::max(1, static_cast<int>(std::lround(s.image.rows * params_.fraction)));
    SizedCrop::cut(s, cv::Rect((s.image.cols - w) / 2, (s.image.rows - h) / 2, w, h), params_.min_visibility);
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

// ---- zoom_out: the SSD paper's expand
struct ZoomOutParams {
  double p = 0.5;
  double max_ratio = 4.0;
  std::vector<double> fill;  ///< RGB; empty = the model's pixel mean
};

class ZoomOut : public Step {
 public:
  ZoomOut(const ZoomOutParams& p, const Context& c)
      : Step(p.p), params_(p), fill_(p.fill.size() == 3 ? cv::Scalar(p.fill[0], p.fill[1], p.fill[2]) : c.mean) {}
  // The canvas is ratio x the image's sides; it is made at the image's own size, the image shrunk into it by 1 / ratio,
  // so that a large ratio on a large image costs no more memory than the image (the pipeline resizes to the model's
  // input at the end anyway).
  void apply(Labeled& s, std::mt19937_64& rng) const override {
    const int W = s.image.cols, H = s.image.rows;
    const double ratio = uniform(rng, 1.0, params_.max_ratio);
    const double left = uniform(rng, 0, W * ratio - W) / ratio, top = uniform(rng, 0, H * ratio - H) / ratio;
    const cv::Rect placed(static_cast<int>(left), static_cast<int>(top), std::max(1, static_cast<int>(std::lround(W / ratio))),
                          std::max(1, static_cast<int>(std::lround(H / ratio))));
    const auto inside = placed & cv::Rect(0, 0, W, H);
    cv::Mat canvas(H, W, CV_32FC3, fill_), shrunk;
    cv::resize(s.image, shrunk, placed.size(), 0, 0, cv::INTER_AREA);
    shrunk(inside - placed.tl()).copyTo(canvas(inside));
    const auto sx = static_cast<float>(placed.width) / static_cast<float>(W), sy = static_cast<float>(placed.height) / static_cast<float>(H);
    // (every object stays, however small it gets: the final resize decides its size; clamped for the rounding of placed)
    for (auto& o : s.objects) {
      o.x1 = std::min(o.x1 * sx + static_cast<float>(placed.x), static_cast<float>(W));
      o.x2 = std::min(o.x2 * sx + static_cast<float>(placed.x), static_cast<float>(W));
      o.y1 = std::min(o.y1 * sy + static_cast<float>(placed.y), static_cast<float>(H));
      o.y2 = std::min(o.y2 * sy + static_cast<float>(placed.y), static_cast<float>(H));
    }
    s.image = canvas;
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

class Affine : public Step {
 public:
  Affine(const AffineParams& p, const Context& c)
      : Step(p.p), params_(p), fill_(p.fill.size() == 3 ? cv::Scalar(p.fill[0], p.fill[1], p.fill[2]) : c.mean) {}
  void apply(Labeled& s, std::mt19937_64& rng) const override {
    const double W = s.image.cols, H = s.image.rows, cx = W / 2, cy = H / 2;
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
    cv::Mat moved;
    cv::warpAffine(s.image, moved, forward, s.image.size(), interpolation_flag(params_.interpolation), border_mode(params_.border), fill_);
    s.image = moved;
    for (auto& o : s.objects) {
      float x1 = INFINITY, y1 = INFINITY, x2 = -INFINITY, y2 = -INFINITY;
      for (const auto& [x, y] : {std::pair{o.x1, o.y1}, {o.x2, o.y1}, {o.x1, o.y2}, {o.x2, o.y2}}) {
        const auto u = static_cast<float>(forward(0, 0) * x + forward(0, 1) * y + forward(0, 2));
        const auto v = static_cast<float>(forward(1, 0) * x + forward(1, 1) * y + forward(1, 2));
        x1 = std::min(x1, u), y1 = std::min(y1, v), x2 = std::max(x2, u), y2 = std::max(y2, v);
      }
      o.x1 = x1, o.y1 = y1, o.x2 = x2, o.y2 = y2;
    }
    s.objects = clip_to_image(s.objects, s.image.cols, s.image.rows, params_.min_visibility);
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
  return {flip_entry("hflip", false), flip_entry("vflip", true), iou_crop_entry(), sized_crop_entry(), center_crop_entry(),
          zoom_out_entry(), affine_entry()};
}

}  // namespace ssd::data::augment_steps
