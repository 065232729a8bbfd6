#pragma once
// The steps that augment.pipeline names, in the order they run (data/augment_pipeline.h). A step changes an image and
// its boxes together (float RGB 0..255, boxes in pixels: data/transforms.h), drawing only from the sample's generator,
// so a sample's augmentation is reproducible from its seed. Each step has its own keys, augment.<step>.*: `p`, the
// probability that it runs, and its parameters (config/plugin_params.h), declared beside it in
// src/data/augment_steps/<family>.cpp; the registry (src/data/augment_steps/registry.cpp) lists them. A new step is its
// class and entry in the family's file plus its line in the registry.
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core/types.hpp>

#include "ssd/config/plugin_params.h"
#include "ssd/data/augment_steps/warp.h"
#include "ssd/data/transforms.h"
#include "ssd/util/registry.h"

namespace ssd::data::augment_steps {

/// What a step may take besides its own keys.
/// Another training sample (float RGB, objects in pixels), drawn with the sample's generator.
using OtherSample = std::function<Labeled(std::mt19937_64& rng)>;

struct Context {
  cv::Scalar mean;  ///< the model's pixel mean (RGB, 0..255): what a border is filled with unless a step says otherwise
  /// For the steps that mix images (mosaic); empty where there is no data set, and those steps then do nothing.
  OtherSample other = {};
};

class Step {
 public:
  explicit Step(double p) : p_(p) {}
  virtual ~Step() = default;
  /// The probability that the step runs on a sample (augment.<step>.p).
  double p() const { return p_; }
  virtual void apply(Labeled& sample, std::mt19937_64& rng) const = 0;

 private:
  double p_;
};

/// A geometric step that is one map of the image (augment_steps/warp.h: flips, crops, zoom-out, the affine map).
/// plan() draws what the step draws, moves the objects and returns the map; apply() makes the image from it. The
/// pipeline calls plan() and makes the image once for a run of such steps.
class WarpStep : public Step {
 public:
  using Step::Step;
  /// size: the image's before the step.
  virtual Warp plan(cv::Size size, std::vector<Object>& objects, std::mt19937_64& rng) const = 0;
  void apply(Labeled& s, std::mt19937_64& rng) const final { s.image = warp_image(s.image, plan(s.image.size(), s.objects, rng)); }
};

/// A registry entry: the step's name (in augment.pipeline), one line of what it does, its factory and its own keys.
struct StepEntry {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Step>(const config::PluginParams& params, const Context& context)> factory;
  std::vector<config::PluginKey> keys;
};

const util::Registry<StepEntry>& step_registry();

// Shared by the steps.
double uniform(std::mt19937_64& rng, double lo, double hi);
/// A value drawn uniformly from [range[0], range[1]] (range: one number = that number).
double draw(std::mt19937_64& rng, const std::vector<double>& range);
/// The objects clipped to a W x H image; a box that keeps less than min_visibility of its area inside, or nothing, is
/// dropped (a border cut it away).
std::vector<Object> clip_to_image(const std::vector<Object>& objects, int W, int H, double min_visibility);

// The families' entries (src/data/augment_steps/<family>.cpp).
std::vector<StepEntry> geometric_steps();
std::vector<StepEntry> photometric_steps();
std::vector<StepEntry> mixing_steps();

}  // namespace ssd::data::augment_steps
