#include "ssd/model/postprocess.h"

#include <ATen/ATen.h>

#include "ssd/ops/boxes.h"
#include "ssd/ops/nms.h"

namespace ssd::model {

std::vector<Detections> postprocess(const at::Tensor& loc, const at::Tensor& conf, const at::Tensor& priors,
                                    const BoxCoder& coder, const config::PostprocessConfig& c) {
  const auto boxes_all = ops::clip_boxes(coder.decode(loc, priors), 1.0, 1.0);  // [B, P, 4]
  const auto scores_all = at::softmax(conf, -1);                                  // [B, P, C]
  const int64_t num_classes = conf.size(-1);
  std::vector<Detections> out;
  for (int64_t b = 0; b < loc.size(0); ++b) {
    const auto boxes = boxes_all[b];
    std::vector<at::Tensor> cand_boxes, cand_scores, cand_labels;
    for (int64_t cls = 1; cls < num_classes; ++cls) {
      auto scores = scores_all[b].select(1, cls);
      const auto above = (scores > c.score_threshold).nonzero().squeeze(1);
      if (above.numel() == 0) continue;
      scores = scores.index_select(0, above);
      const auto [top_scores, top_idx] = scores.topk(std::min<int64_t>(c.top_k_per_class, scores.size(0)));
      cand_boxes.push_back(boxes.index_select(0, above.index_select(0, top_idx)));
      cand_scores.push_back(top_scores);
      cand_labels.push_back(at::full({top_scores.size(0)}, cls, top_idx.options()));
    }
    if (cand_boxes.empty()) {
      out.push_back({at::zeros({0, 4}, loc.options()), at::zeros({0}, loc.options()),
                     at::zeros({0}, loc.options().dtype(at::kLong))});
      continue;
    }
    const auto boxes_c = at::cat(cand_boxes), scores_c = at::cat(cand_scores), labels_c = at::cat(cand_labels);
    auto keep = ops::batched_nms(boxes_c, scores_c, labels_c, c.nms_iou);
    keep = keep.slice(0, 0, c.max_per_image);  // already in descending score order
    out.push_back({boxes_c.index_select(0, keep), scores_c.index_select(0, keep), labels_c.index_select(0, keep)});
  }
  return out;
}

}  // namespace ssd::model
