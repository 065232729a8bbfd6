// Steps that mix images: mosaic. The other images come from the data set (Context::other), drawn with the sample's
// generator, so a sample's mosaic is reproducible from its seed.
#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "ssd/data/augment_steps/step.h"

namespace ssd::data::augment_steps {

namespace {

using config::plugin_key;

constexpr const char* kConsumer = "data::augment_steps (mixing)";

// ---- mosaic: four images around a random join point (YOLOv4's, Ultralytics' mosaic)
struct MosaicParams {
  double p = 0.5;
  double min_visibility = 0.3;
};

class Mosaic : public Step {
 public:
  Mosaic(const MosaicParams& p, OtherSample other) : Step(p.p), params_(p), other_(std::move(other)) {}
  // The sample and three others, each at the sample's size W x H, meet at a join point drawn in the W x H output: the
  // sample's bottom-right corner is at the join point, the second image's bottom-left, the third's top-right, the
  // fourth's top-left. Each shows the part of it that falls in the output; its boxes are cut there (min_visibility).
  void apply(Labeled& s, std::mt19937_64& rng) const override {
    if (!other_) return;
    const int W = s.image.cols, H = s.image.rows;
    const int jx = static_cast<int>(uniform(rng, 0, W)), jy = static_cast<int>(uniform(rng, 0, H));
    const cv::Point origins[4] = {{jx - W, jy - H}, {jx, jy - H}, {jx - W, jy}, {jx, jy}};
    Labeled out;
    out.image = cv::Mat(H, W, CV_32FC3);
    const cv::Rect frame(0, 0, W, H);
    for (int k = 0; k < 4; ++k) {
      Labeled part = k == 0 ? s : resize(other_(rng), cv::Size(W, H));
      const cv::Rect placed = cv::Rect(origins[k], cv::Size(W, H)) & frame;
      if (placed.area() == 0) continue;
      part.image(placed - origins[k]).copyTo(out.image(placed));
      // Each image's boxes cut to its quadrant, not to the output: the neighbouring images cover the rest.
      for (auto& o : part.objects) {
        o.x1 += static_cast<float>(origins[k].x - placed.x), o.x2 += static_cast<float>(origins[k].x - placed.x);
        o.y1 += static_cast<float>(origins[k].y - placed.y), o.y2 += static_cast<float>(origins[k].y - placed.y);
      }
      for (auto o : clip_to_image(part.objects, placed.width, placed.height, params_.min_visibility)) {
        o.x1 += static_cast<float>(placed.x), o.x2 += static_cast<float>(placed.x);
        o.y1 += static_cast<float>(placed.y), o.y2 += static_cast<float>(placed.y);
        out.objects.push_back(o);
      }
    }
    s = std::move(out);
  }

 private:
  MosaicParams params_;
  OtherSample other_;
};

StepEntry mosaic_entry() {
  const char* name = "mosaic";
  return {name, "four images (this one and three drawn from the data set) meeting at a random point, at this image's size",
          [name](const config::PluginParams& params, const Context& context) -> std::unique_ptr<Step> {
            return std::make_unique<Mosaic>(params.get<MosaicParams>(name), context.other);
          },
          {plugin_key(name, "augment.mosaic.p", &MosaicParams::p, config::in_range(0.0, 1.0), kConsumer, "mosaic: probability."),
           plugin_key(name, "augment.mosaic.min_visibility", &MosaicParams::min_visibility, config::in_range(0.0, 1.0), kConsumer,
                      "mosaic: a box cut at its quadrant's edge stays when this share of its area is inside.")}};
}

}  // namespace

std::vector<StepEntry> mixing_steps() { return {mosaic_entry()}; }

}  // namespace ssd::data::augment_steps
