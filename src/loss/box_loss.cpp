#include "ssd/loss/box_loss.h"

#include <ATen/ATen.h>

#include <cmath>

#include "ssd/util/error.h"

namespace ssd::loss {

namespace {

constexpr double kEps = 1e-7;

// IoU, and what the IoU family adds to it, of decoded xyxy boxes [N, 4] (prediction, object).
struct Overlap {
  at::Tensor iou, union_area, enclosing_area, centre_distance2, diagonal2;
};

Overlap overlap(const at::Tensor& p, const at::Tensor& g) {
  const auto x1 = p.select(1, 0), y1 = p.select(1, 1), x2 = p.select(1, 2), y2 = p.select(1, 3);
  const auto gx1 = g.select(1, 0), gy1 = g.select(1, 1), gx2 = g.select(1, 2), gy2 = g.select(1, 3);
  const auto inter = (at::min(x2, gx2) - at::max(x1, gx1)).clamp_min(0) * (at::min(y2, gy2) - at::max(y1, gy1)).clamp_min(0);
  Overlap o;
  o.union_area = (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter;
  o.iou = inter / (o.union_area + kEps);
  const auto cw = at::max(x2, gx2) - at::min(x1, gx1), ch = at::max(y2, gy2) - at::min(y1, gy1);
  o.enclosing_area = cw * ch;
  o.diagonal2 = cw.pow(2) + ch.pow(2) + kEps;
  o.centre_distance2 = ((x1 + x2) / 2 - (gx1 + gx2) / 2).pow(2) + ((y1 + y2) / 2 - (gy1 + gy2) / 2).pow(2);
  return o;
}

// The predicted and the target boxes, decoded against their default boxes.
std::pair<at::Tensor, at::Tensor> decoded(const PositiveBoxes& b) {
  return {b.coder->decode(b.loc, b.priors), b.coder->decode(b.deltas.to(b.loc.scalar_type()), b.priors)};
}

at::Tensor iou_loss(const PositiveBoxes& b, double) {
  const auto [p, g] = decoded(b);
  return (1 - overlap(p, g).iou).sum();
}

at::Tensor giou_loss(const PositiveBoxes& b, double) {
  const auto [p, g] = decoded(b);
  const auto o = overlap(p, g);
  return (1 - (o.iou - (o.enclosing_area - o.union_area) / (o.enclosing_area + kEps))).sum();
}

at::Tensor diou_terms(const Overlap& o) { return 1 - o.iou + o.centre_distance2 / o.diagonal2; }

at::Tensor diou_loss(const PositiveBoxes& b, double) {
  const auto [p, g] = decoded(b);
  return diou_terms(overlap(p, g)).sum();
}

at::Tensor ciou_loss(const PositiveBoxes& b, double) {
  const auto [p, g] = decoded(b);
  const auto o = overlap(p, g);
  const auto w = p.select(1, 2) - p.select(1, 0), h = p.select(1, 3) - p.select(1, 1);
  const auto gw = g.select(1, 2) - g.select(1, 0), gh = g.select(1, 3) - g.select(1, 1);
  const auto v = (4 / (M_PI * M_PI)) * (at::atan(gw / gh) - at::atan(w / h)).pow(2);
  at::Tensor alpha;
  {
    at::NoGradGuard no_grad;
    alpha = v / (1 - o.iou + v + kEps);
  }
  return (diou_terms(o) + alpha * v).sum();
}

at::Tensor smooth_l1_loss(const PositiveBoxes& b, double beta) {
  return at::smooth_l1_loss(b.loc, b.deltas.to(b.loc.scalar_type()), at::Reduction::Sum, beta);
}

at::Tensor l1_loss(const PositiveBoxes& b, double) {
  return at::l1_loss(b.loc, b.deltas.to(b.loc.scalar_type()), at::Reduction::Sum);
}

}  // namespace

const util::Registry<util::Plugin<BoxLossFn>>& box_loss_registry() {
  static const util::Registry<util::Plugin<BoxLossFn>> registry(
      "box loss", "loss.box",
      {
          {"smooth_l1", "Smooth L1 on the coded offsets, quadratic below loss.smooth_l1_beta (the SSD paper)", smooth_l1_loss},
          {"l1", "L1 on the coded offsets", l1_loss},
          {"iou", "1 - IoU of the decoded box with its object", iou_loss},
          {"giou", "generalised IoU: 1 - IoU + (enclosing - union) / enclosing (Rezatofighi et al. 2019)", giou_loss},
          {"diou", "distance IoU: 1 - IoU + centre distance^2 / enclosing diagonal^2 (Zheng et al. 2020)", diou_loss},
          {"ciou", "complete IoU: DIoU + alpha v, v the aspect-ratio mismatch (Zheng et al. 2020)", ciou_loss},
      });
  return registry;
}

at::Tensor box_loss_sum(const std::string& name, double beta, const at::Tensor& loc, const model::Targets& targets,
                        const at::Tensor& positive) {
  const auto& entry = box_loss_registry().get(name);
  if (name == "smooth_l1") {
    // The SSD paper's term as it always was computed: over the masked values in one flat sum.
    const auto mask = positive.unsqueeze(-1).expand_as(loc);
    return at::smooth_l1_loss(loc.masked_select(mask), targets.deltas.masked_select(mask).to(loc.scalar_type()), at::Reduction::Sum,
                              beta);
  }
  PositiveBoxes boxes;
  boxes.loc = loc.index({positive});
  boxes.deltas = targets.deltas.index({positive});
  if (name != "l1") {
    if (!targets.priors.defined())
      throw std::logic_error("loss.box " + name + ": the targets carry no default boxes to decode against (model::assign_targets sets them)");
    boxes.priors = targets.priors.to(loc.scalar_type()).unsqueeze(0).expand({loc.size(0), -1, -1}).index({positive});
  }
  boxes.coder = &targets.coder;
  return entry.factory(boxes, beta);
}

}  // namespace ssd::loss
