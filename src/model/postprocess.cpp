#include "ssd/model/postprocess.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>

#include "ssd/ops/boxes.h"
#include "ssd/ops/nms.h"

namespace ssd::model {

namespace {

struct Candidate {
  float score;
  int64_t prior;
  int64_t label;
};

// Descending score; equal scores in ascending prior order, so that the result does not depend on the sort.
bool better(const Candidate& a, const Candidate& b) { return a.score > b.score || (a.score == b.score && a.prior < b.prior); }

// One image: scores [P, C] and boxes [P, 4], contiguous on CPU. Per class: the scores above the threshold, the
// best top_k_per_class of them, NMS among those; then the best max_per_image over all classes.
std::vector<Candidate> select(const float* scores, const float* boxes, int64_t priors, int64_t classes,
                              const config::PostprocessConfig& c) {
  std::vector<Candidate> kept, in_class;
  std::vector<float> class_boxes;
  const auto threshold = static_cast<float>(c.score_threshold);
  for (int64_t cls = 1; cls < classes; ++cls) {
    in_class.clear();
    for (int64_t p = 0; p < priors; ++p) {
      const float s = scores[p * classes + cls];
      if (s > threshold) in_class.push_back({s, p, cls});
    }
    const auto top = std::min<size_t>(in_class.size(), static_cast<size_t>(std::max<int64_t>(c.top_k_per_class, 0)));
    std::partial_sort(in_class.begin(), in_class.begin() + static_cast<std::ptrdiff_t>(top), in_class.end(), better);
    class_boxes.resize(4 * top);
    for (size_t k = 0; k < top; ++k) std::copy_n(boxes + 4 * in_class[k].prior, 4, class_boxes.data() + 4 * k);
    for (int64_t k : ops::nms_in_score_order(class_boxes.data(), static_cast<int64_t>(top), static_cast<float>(c.nms_iou)))
      kept.push_back(in_class[static_cast<size_t>(k)]);
  }
  // Classes are visited in order, so equal scores keep class order: a stable sort on the score alone.
  std::stable_sort(kept.begin(), kept.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  if (static_cast<int64_t>(kept.size()) > c.max_per_image) kept.resize(static_cast<size_t>(std::max<int64_t>(c.max_per_image, 0)));
  return kept;
}

}  // namespace

std::vector<Detections> postprocess(const at::Tensor& loc, const at::Tensor& conf, const at::Tensor& priors,
                                    const BoxCoder& coder, const config::PostprocessConfig& c) {
  // Softmax and decoding run where the head ran; the selection is sequential work on few numbers, done on CPU over
  // raw arrays (per-class tensor operations cost more in dispatch than in arithmetic).
  const auto boxes_all = ops::clip_boxes(coder.decode(loc, priors), 1.0, 1.0).to(at::kCPU, at::kFloat).contiguous();
  const auto scores_all = at::softmax(conf, -1).to(at::kCPU, at::kFloat).contiguous();
  const int64_t batch = loc.size(0), num_priors = loc.size(1), num_classes = conf.size(-1);
  std::vector<std::vector<Candidate>> selected(static_cast<size_t>(batch));
  at::parallel_for(0, batch, 1, [&](int64_t first, int64_t last) {  // images are independent: one per thread
    for (int64_t b = first; b < last; ++b)
      selected[b] = select(scores_all.data_ptr<float>() + b * num_priors * num_classes,
                           boxes_all.data_ptr<float>() + b * num_priors * 4, num_priors, num_classes, c);
  });
  std::vector<Detections> out;
  for (int64_t b = 0; b < batch; ++b) {
    const auto& kept = selected[static_cast<size_t>(b)];
    const auto k = static_cast<int64_t>(kept.size());
    auto boxes = at::empty({k, 4}, at::kFloat), scores = at::empty({k}, at::kFloat), labels = at::empty({k}, at::kLong);
    float* bp = boxes.data_ptr<float>();
    float* sp = scores.data_ptr<float>();
    int64_t* lp = labels.data_ptr<int64_t>();
    const float* source = boxes_all.data_ptr<float>() + b * num_priors * 4;
    for (int64_t i = 0; i < k; ++i) {
      std::copy_n(source + 4 * kept[i].prior, 4, bp + 4 * i);
      sp[i] = kept[i].score;
      lp[i] = kept[i].label;
    }
    out.push_back({boxes.to(loc.device(), loc.scalar_type()), scores.to(loc.device(), loc.scalar_type()), labels.to(loc.device())});
  }
  return out;
}

}  // namespace ssd::model
