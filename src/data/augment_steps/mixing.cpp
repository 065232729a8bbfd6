// Steps that mix images: mosaic and copy_paste. The other images come from the data set (Context::other), drawn with
// the sample's generator, so a sample's mix is reproducible from its seed.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

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

// ---- copy_paste: objects cut from another image with their boxes and pasted into this one (Ghiasi et al.'s Simple
// Copy-Paste, with boxes for masks: the annotations have no outlines, so the whole box is pasted, background and all).
struct CopyPasteParams {
  double p = 0.5;
  int64_t objects = 3;
  std::vector<double> scale = {0.5, 1.5};
  double min_visibility = 0.5;
  int64_t tries = 10;
};

class CopyPaste : public Step {
 public:
  CopyPaste(const CopyPasteParams& p, OtherSample other) : Step(p.p), params_(p), other_(std::move(other)) {}
  // One other image; 1..objects of its objects, drawn, each scaled by the ratio of the two images' sizes times a factor
  // drawn from scale, and placed where it overlaps no pasted patch and leaves each of this image's objects at least
  // min_visibility of its area uncovered (a place drawn up to `tries` times; an object with no such place is not
  // pasted). The pasted boxes are whole; this image's objects keep their boxes.
  void apply(Labeled& s, std::mt19937_64& rng) const override {
    if (!other_) return;
    Labeled donor = other_(rng);
    const int W = s.image.cols, H = s.image.rows;
    std::vector<Object> candidates;
    for (const auto& o : donor.objects)
      if (!o.crowd && o.x2 - o.x1 >= 1 && o.y2 - o.y1 >= 1) candidates.push_back(o);
    if (candidates.empty()) return;
    std::shuffle(candidates.begin(), candidates.end(), rng);
    const auto wanted = static_cast<size_t>(std::uniform_int_distribution<int64_t>(1, params_.objects)(rng));
    candidates.resize(std::min(wanted, candidates.size()));
    const double to_this = std::sqrt(static_cast<double>(W) * H / (static_cast<double>(donor.image.cols) * donor.image.rows));
    const cv::Rect donor_frame(0, 0, donor.image.cols, donor.image.rows);
    std::vector<cv::Rect> pasted;
    std::vector<Object> added;
    for (const auto& o : candidates) {
      // The pixels under the box, whole pixels around it.
      const cv::Rect cut = cv::Rect(cv::Point(static_cast<int>(std::floor(o.x1)), static_cast<int>(std::floor(o.y1))),
                                    cv::Point(static_cast<int>(std::ceil(o.x2)), static_cast<int>(std::ceil(o.y2)))) &
                           donor_frame;
      const double factor = to_this * draw(rng, params_.scale);
      const cv::Size size(std::max(1, static_cast<int>(std::lround(cut.width * factor))),
                          std::max(1, static_cast<int>(std::lround(cut.height * factor))));
      if (cut.area() == 0 || size.width > W || size.height > H) continue;
      for (int64_t t = 0; t < params_.tries; ++t) {
        const cv::Rect place(std::uniform_int_distribution<int>(0, W - size.width)(rng),
                             std::uniform_int_distribution<int>(0, H - size.height)(rng), size.width, size.height);
        if (!fits(place, pasted, s.objects)) continue;
        cv::Mat patch;
        cv::resize(donor.image(cut), patch, size, 0, 0, factor < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        patch.copyTo(s.image(place));
        // The box where the resize took it: the cut's pixel grid scaled onto the patch's.
        const double sx = static_cast<double>(size.width) / cut.width, sy = static_cast<double>(size.height) / cut.height;
        Object moved = o;
        moved.x1 = static_cast<float>(place.x + (o.x1 - cut.x) * sx), moved.x2 = static_cast<float>(place.x + (o.x2 - cut.x) * sx);
        moved.y1 = static_cast<float>(place.y + (o.y1 - cut.y) * sy), moved.y2 = static_cast<float>(place.y + (o.y2 - cut.y) * sy);
        moved.area = -1;  // scaled: the annotated area no longer holds
        added.push_back(moved);
        pasted.push_back(place);
        break;
      }
    }
    s.objects.insert(s.objects.end(), added.begin(), added.end());
  }

 private:
  // No overlap with a pasted patch, and every object of the image keeps min_visibility of its area uncovered (the
  // pasted patches do not overlap, so what they cover of a box adds up).
  bool fits(const cv::Rect& place, const std::vector<cv::Rect>& pasted, const std::vector<Object>& objects) const {
    for (const auto& r : pasted)
      if ((r & place).area() > 0) return false;
    const cv::Rect2d placed(place.x, place.y, place.width, place.height);
    for (const auto& o : objects) {
      const cv::Rect2d box(o.x1, o.y1, o.x2 - o.x1, o.y2 - o.y1);
      double covered = (box & placed).area();
      for (const auto& r : pasted) covered += (box & cv::Rect2d(r.x, r.y, r.width, r.height)).area();
      if (box.area() - covered < params_.min_visibility * box.area()) return false;
    }
    return true;
  }

  CopyPasteParams params_;
  OtherSample other_;
};

StepEntry copy_paste_entry() {
  const char* name = "copy_paste";
  return {name, "objects cut with their boxes from an image drawn from the data set, pasted at free places in this one",
          [name](const config::PluginParams& params, const Context& context) -> std::unique_ptr<Step> {
            return std::make_unique<CopyPaste>(params.get<CopyPasteParams>(name), context.other);
          },
          {plugin_key(name, "augment.copy_paste.p", &CopyPasteParams::p, config::in_range(0.0, 1.0), kConsumer, "copy_paste: probability."),
           plugin_key(name, "augment.copy_paste.objects", &CopyPasteParams::objects, config::in_range<int64_t>(1, 100), kConsumer,
                      "copy_paste: at most this many objects pasted (the number drawn from 1..objects)."),
           plugin_key(name, "augment.copy_paste.scale", &CopyPasteParams::scale, config::interval_within(0.05, 20.0), kConsumer,
                      "copy_paste: size factor of a pasted object, drawn uniformly, after the two images' sizes are matched."),
           plugin_key(name, "augment.copy_paste.min_visibility", &CopyPasteParams::min_visibility, config::in_range(0.01, 1.0), kConsumer,
                      "copy_paste: each of this image's objects keeps at least this share of its area uncovered."),
           plugin_key(name, "augment.copy_paste.tries", &CopyPasteParams::tries, config::in_range<int64_t>(1, 1000), kConsumer,
                      "copy_paste: places drawn for an object before it is left out.")}};
}

}  // namespace

std::vector<StepEntry> mixing_steps() { return {mosaic_entry(), copy_paste_entry()}; }

}  // namespace ssd::data::augment_steps
