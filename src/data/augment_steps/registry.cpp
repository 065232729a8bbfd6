// The augmentation steps that augment.pipeline may name (--list-augmentations), and what they share.
#include <algorithm>

#include "ssd/data/augment_steps/step.h"

namespace ssd::data::augment_steps {

const util::Registry<StepEntry>& step_registry() {
  static const util::Registry<StepEntry> registry = [] {
    auto entries = geometric_steps();
    for (auto family : {photometric_steps(), mixing_steps()}) entries.insert(entries.end(), family.begin(), family.end());
    return util::Registry<StepEntry>("augmentation", "augment.pipeline", entries);
  }();
  return registry;
}

double uniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

double draw(std::mt19937_64& rng, const std::vector<double>& range) {
  return range.front() == range.back() ? range.front() : uniform(rng, range.front(), range.back());
}

std::vector<Object> clip_to_image(const std::vector<Object>& objects, int W, int H, double min_visibility) {
  std::vector<Object> out;
  for (auto o : objects) {
    const double area = static_cast<double>(o.x2 - o.x1) * static_cast<double>(o.y2 - o.y1);
    o.x1 = std::clamp(o.x1, 0.f, static_cast<float>(W)), o.x2 = std::clamp(o.x2, 0.f, static_cast<float>(W));
    o.y1 = std::clamp(o.y1, 0.f, static_cast<float>(H)), o.y2 = std::clamp(o.y2, 0.f, static_cast<float>(H));
    const double inside = static_cast<double>(o.x2 - o.x1) * static_cast<double>(o.y2 - o.y1);
    if (o.x2 - o.x1 < 1 || o.y2 - o.y1 < 1 || !(area > 0) || inside < min_visibility * area) continue;
    out.push_back(o);
  }
  return out;
}

}  // namespace ssd::data::augment_steps
