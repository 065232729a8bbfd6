#include "ssd/eval/coco_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace ssd::eval {

namespace {

constexpr int kThresholds = 10, kRecallPoints = 101, kAreas = 4;
constexpr int kMaxDets[3] = {1, 10, 100};
const double kAreaRange[kAreas][2] = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};

double threshold(int t) { return 0.5 + 0.05 * t; }

struct Box {
  double x1, y1, x2, y2, area;
  bool crowd = false, ignore = false;
};

double overlap(const Box& d, const Box& g) {
  const double w = std::min(d.x2, g.x2) - std::max(d.x1, g.x1), h = std::min(d.y2, g.y2) - std::max(d.y1, g.y1);
  if (w <= 0 || h <= 0) return 0;
  const double inter = w * h;
  const double da = (d.x2 - d.x1) * (d.y2 - d.y1), ga = (g.x2 - g.x1) * (g.y2 - g.y1);
  const double uni = g.crowd ? da : da + ga - inter;  // crowd: the detection's own area (pycocotools' iscrowd IoU)
  return uni > 0 ? inter / uni : 0;
}

// One image, one class, one area range: what accumulate() needs.
struct ImageEval {
  std::vector<double> scores;                 // detections in score order, at most 100
  std::vector<std::array<bool, kThresholds>> matched, ignored;
  int64_t counted_gt = 0;                     // objects not ignored in this area range
};

ImageEval evaluate_image(const std::vector<Box>& gts, const std::vector<Box>& dets, const std::vector<double>& scores, int area) {
  const double lo = kAreaRange[area][0], hi = kAreaRange[area][1];
  // Objects not ignored first (stable), as pycocotools orders them.
  std::vector<size_t> order(gts.size());
  std::iota(order.begin(), order.end(), 0);
  auto ignored_gt = [&](const Box& g) { return g.ignore || g.area < lo || g.area > hi; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return !ignored_gt(gts[a]) && ignored_gt(gts[b]); });
  ImageEval e;
  e.scores = scores;
  for (const auto& g : gts) e.counted_gt += !ignored_gt(g);
  e.matched.assign(dets.size(), {});
  e.ignored.assign(dets.size(), {});
  for (int t = 0; t < kThresholds; ++t) {
    std::vector<bool> taken(gts.size(), false);
    for (size_t d = 0; d < dets.size(); ++d) {
      double best = std::min(threshold(t), 1 - 1e-10);
      int m = -1;
      for (size_t k = 0; k < order.size(); ++k) {
        const auto& g = gts[order[k]];
        if (taken[k] && !g.crowd) continue;
        if (m > -1 && !ignored_gt(gts[order[m]]) && ignored_gt(g)) break;  // real objects were all tried
        const double iou = overlap(dets[d], g);
        if (iou < best) continue;  // IoU exactly on the threshold matches
        best = iou, m = static_cast<int>(k);
      }
      if (m == -1) continue;
      e.matched[d][t] = true;
      e.ignored[d][t] = ignored_gt(gts[order[m]]);
      taken[m] = true;
    }
    for (size_t d = 0; d < dets.size(); ++d)
      if (!e.matched[d][t] && (dets[d].area < lo || dets[d].area > hi)) e.ignored[d][t] = true;
  }
  return e;
}

struct Curves {
  // precision[t][r] and recall[t] for one class, area range and maxDets; NaN-free, valid = the class had objects
  std::array<std::array<double, kRecallPoints>, kThresholds> precision{};
  std::array<double, kThresholds> recall{};
  bool valid = false;
};

Curves accumulate(const std::vector<const ImageEval*>& images, int max_det) {
  Curves c;
  int64_t npig = 0;
  struct Entry {
    double score;
    size_t image, index;
  };
  std::vector<Entry> entries;
  for (size_t i = 0; i < images.size(); ++i) {
    npig += images[i]->counted_gt;
    const size_t n = std::min<size_t>(images[i]->scores.size(), static_cast<size_t>(max_det));
    for (size_t d = 0; d < n; ++d) entries.push_back({images[i]->scores[d], i, d});
  }
  if (npig == 0) return c;
  c.valid = true;
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.score > b.score; });
  for (int t = 0; t < kThresholds; ++t) {
    std::vector<double> rc, pr;
    double tp = 0, fp = 0;
    for (const auto& e : entries) {
      const auto& img = *images[e.image];
      if (img.ignored[e.index][t]) continue;
      if (img.matched[e.index][t]) tp += 1;
      else fp += 1;
      rc.push_back(tp / static_cast<double>(npig));
      pr.push_back(tp / (tp + fp + std::numeric_limits<double>::epsilon()));
    }
    c.recall[t] = rc.empty() ? 0 : rc.back();
    for (size_t i = pr.size(); i-- > 1;) pr[i - 1] = std::max(pr[i - 1], pr[i]);
    for (int r = 0; r < kRecallPoints; ++r) {
      const double at = r / 100.0;
      const auto it = std::lower_bound(rc.begin(), rc.end(), at);  // searchsorted(side="left")
      if (it == rc.end()) break;  // every higher recall point stays 0, as in pycocotools
      c.precision[t][r] = pr[static_cast<size_t>(it - rc.begin())];
    }
  }
  return c;
}

double mean_or_nan(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

CocoResult evaluate_coco(const std::vector<data::Annotation>& ground_truth, const std::vector<Detection>& detections,
                         int64_t num_classes) {
  // Images: the ground truth's, then any that only detections mention.
  auto image_index = index_ground_truth(ground_truth);
  for (const auto& d : detections) image_index.emplace(d.image_id, image_index.size());
  const size_t images = image_index.size(), classes = static_cast<size_t>(num_classes);
  std::vector<std::vector<std::vector<Box>>> gts(images, std::vector<std::vector<Box>>(classes));
  std::vector<std::vector<std::vector<std::pair<double, size_t>>>> dets(images, std::vector<std::vector<std::pair<double, size_t>>>(classes));
  CocoResult result;
  result.num_gt.assign(classes, 0);
  for (const auto& a : ground_truth)
    for (const auto& o : a.objects) {
      if (o.label < 1 || o.label > num_classes) continue;
      const double box_area = static_cast<double>(o.x2 - o.x1) * static_cast<double>(o.y2 - o.y1);
      gts[image_index.at(a.id)][static_cast<size_t>(o.label - 1)].push_back(
          {o.x1, o.y1, o.x2, o.y2, o.area >= 0 ? o.area : box_area, o.crowd, o.crowd || o.difficult});
      if (!o.crowd && !o.difficult) ++result.num_gt[static_cast<size_t>(o.label - 1)];
    }
  for (size_t i = 0; i < detections.size(); ++i) {
    const auto& d = detections[i];
    if (d.label < 1 || d.label > num_classes) continue;
    dets[image_index.at(d.image_id)][static_cast<size_t>(d.label - 1)].emplace_back(d.score, i);
  }
  // evals[class][area][image]
  std::vector<std::vector<std::vector<ImageEval>>> evals(classes, std::vector<std::vector<ImageEval>>(kAreas, std::vector<ImageEval>(images)));
  for (size_t i = 0; i < images; ++i)
    for (size_t k = 0; k < classes; ++k) {
      auto& list = dets[i][k];
      std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      if (list.size() > 100) list.resize(100);
      std::vector<Box> boxes;
      std::vector<double> scores;
      for (const auto& [score, index] : list) {
        const auto& d = detections[index];
        boxes.push_back({d.x1, d.y1, d.x2, d.y2, static_cast<double>(d.x2 - d.x1) * static_cast<double>(d.y2 - d.y1)});
        scores.push_back(score);
      }
      for (int a = 0; a < kAreas; ++a) evals[k][static_cast<size_t>(a)][i] = evaluate_image(gts[i][k], boxes, scores, a);
    }

  // curves[class][area][maxDet]
  std::vector<std::array<std::array<Curves, 3>, kAreas>> curves(classes);
  for (size_t k = 0; k < classes; ++k)
    for (int a = 0; a < kAreas; ++a) {
      // In image index order: the ground truth's order (pycocotools: sorted image ids), then detection-only images.
      std::vector<const ImageEval*> list;
      for (size_t i = 0; i < images; ++i) list.push_back(&evals[k][static_cast<size_t>(a)][i]);
      for (int m = 0; m < 3; ++m) curves[k][static_cast<size_t>(a)][static_cast<size_t>(m)] = accumulate(list, kMaxDets[m]);
    }

  // summarize(): means over the selected thresholds, recall points and classes with objects.
  auto ap = [&](int t_only, int area, int m, int64_t class_only = -1) {
    std::vector<double> values;
    for (size_t k = 0; k < classes; ++k) {
      if (class_only >= 0 && static_cast<int64_t>(k) != class_only) continue;
      const auto& c = curves[k][static_cast<size_t>(area)][static_cast<size_t>(m)];
      if (!c.valid) continue;
      for (int t = 0; t < kThresholds; ++t)
        if (t_only < 0 || t == t_only)
          for (int r = 0; r < kRecallPoints; ++r) values.push_back(c.precision[static_cast<size_t>(t)][static_cast<size_t>(r)]);
    }
    return mean_or_nan(values);
  };
  auto ar = [&](int area, int m) {
    std::vector<double> values;
    for (size_t k = 0; k < classes; ++k) {
      const auto& c = curves[k][static_cast<size_t>(area)][static_cast<size_t>(m)];
      if (c.valid) values.insert(values.end(), c.recall.begin(), c.recall.end());
    }
    return mean_or_nan(values);
  };
  result.stats = {ap(-1, 0, 2), ap(0, 0, 2), ap(5, 0, 2), ap(-1, 1, 2), ap(-1, 2, 2), ap(-1, 3, 2),
                  ar(0, 0),     ar(0, 1),    ar(0, 2),    ar(1, 2),     ar(2, 2),     ar(3, 2)};
  result.map = result.stats[0];
  for (size_t k = 0; k < classes; ++k) {
    result.ap.push_back(ap(-1, 0, 2, static_cast<int64_t>(k)));
    result.ap50.push_back(ap(0, 0, 2, static_cast<int64_t>(k)));
  }
  return result;
}

std::string format_coco_table(const CocoResult& r, const std::vector<std::string>& names) {
  static const char* rows[12] = {
      "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]", "Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]",
      "Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ]", "Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
      "Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]", "Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
      "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ]", "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ]",
      "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]", "Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
      "Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]", "Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]"};
  std::string out = "COCO mAP (AP@[.5:.95], pycocotools semantics)\n";
  char buf[160];
  for (int i = 0; i < 12; ++i) {
    if (std::isnan(r.stats[static_cast<size_t>(i)])) std::snprintf(buf, sizeof(buf), " %s =   n/a\n", rows[i]);
    else std::snprintf(buf, sizeof(buf), " %s = %.3f\n", rows[i], r.stats[static_cast<size_t>(i)]);
    out += buf;
  }
  out += "class                AP@[.5:.95]   AP@.5   objects\n";
  for (size_t k = 0; k < r.ap.size(); ++k) {
    const std::string name = k < names.size() ? names[k] : std::to_string(k + 1);
    if (std::isnan(r.ap[k])) std::snprintf(buf, sizeof(buf), "%-20s %11s %7s %9lld\n", name.c_str(), "n/a", "n/a", static_cast<long long>(r.num_gt[k]));
    else std::snprintf(buf, sizeof(buf), "%-20s %11.1f %7.1f %9lld\n", name.c_str(), 100 * r.ap[k], 100 * r.ap50[k], static_cast<long long>(r.num_gt[k]));
    out += buf;
  }
  std::snprintf(buf, sizeof(buf), "COCO mAP@[.5:.95] = %.4f\n", r.map);
  out += std::isnan(r.map) ? std::string("COCO mAP@[.5:.95] = n/a (no objects)\n") : std::string(buf);
  return out;
}

}  // namespace ssd::eval
