#include "ssd/eval/coco_eval.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <thread>

#include "ssd/ops/box_overlap.h"

namespace ssd::eval {

namespace {

constexpr int kThresholds = 10, kRecallPoints = 101, kAreas = 4;
constexpr int kMaxDets[3] = {1, 10, 100};
const double kAreaRange[kAreas][2] = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};

// The IoU thresholds and recall points exactly as numpy.linspace makes them for pycocotools (t * step + start, the
// last one set to stop): an IoU or a recall that lands exactly on one then compares the same way ("0.5 + 0.05 * t"
// and "r / 100.0" differ from them in the last bit for some t and r).
double threshold(int t) { return t == kThresholds - 1 ? 0.95 : t * ((0.95 - 0.5) / (kThresholds - 1)) + 0.5; }
double recall_point(int r) { return r == kRecallPoints - 1 ? 1.0 : r * (1.0 / (kRecallPoints - 1)); }

// `area` decides the area range. For the IoU pycocotools takes a box's area as w * h of its bbox: a detection's is
// that same area (the results file's w * h), an object's `box_area` (its area field is a segment's, not the box's).
struct Box {
  double x1, y1, x2, y2, area, box_area;
  bool crowd = false, ignore = false;
};

double overlap(const Box& d, const Box& g) {
  const double inter = ops::intersection(ops::corners_of<double>(d), ops::corners_of<double>(g));
  // Against a crowd region: over the detection's own area (pycocotools' iscrowd IoU).
  const double uni = g.crowd ? d.box_area : d.box_area + g.box_area - inter;
  return inter > 0 && uni > 0 ? inter / uni : 0.0;
}

// One detection of one class in one area range, as accumulate() needs it: its score, its rank among its image's
// detections of the class (for maxDets), and bit t set when it matched / is ignored at IoU threshold t.
struct Scored {
  double score;
  uint32_t rank;
  uint16_t matched, ignored;
};

// pycocotools' evaluateImg for one image, class and area range: the detections (score order, at most 100) are
// appended to `out`; returns the number of objects that count (not ignored) in the range.
int64_t evaluate_image(const Box* gts, size_t num_gts, const Box* dets, const double* scores, size_t num_dets, int area,
                       std::vector<size_t>& order, std::vector<Scored>& out) {
  const double lo = kAreaRange[area][0], hi = kAreaRange[area][1];
  auto ignored_gt = [&](const Box& g) { return g.ignore || g.area < lo || g.area > hi; };
  // Objects not ignored first (stable), as pycocotools orders them.
  order.resize(num_gts);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return !ignored_gt(gts[x]) && ignored_gt(gts[y]); });
  int64_t counted = 0;
  for (size_t k = 0; k < num_gts; ++k) counted += !ignored_gt(gts[k]);
  const size_t first = out.size();
  for (size_t d = 0; d < num_dets; ++d) out.push_back({scores[d], static_cast<uint32_t>(d), 0, 0});
  for (int t = 0; t < kThresholds; ++t) {
    const auto bit = static_cast<uint16_t>(1u << t);
    uint64_t taken_small = 0;  // objects taken at this threshold (a bitset while they fit in 64)
    std::vector<char> taken_large(num_gts > 64 ? num_gts : 0, 0);
    auto taken = [&](size_t k) { return num_gts > 64 ? taken_large[k] != 0 : ((taken_small >> k) & 1u) != 0; };
    for (size_t d = 0; d < num_dets; ++d) {
      double best = std::min(threshold(t), 1 - 1e-10);
      int m = -1;
      for (size_t k = 0; k < num_gts; ++k) {
        const auto& g = gts[order[k]];
        if (taken(k) && !g.crowd) continue;
        if (m > -1 && !ignored_gt(gts[order[static_cast<size_t>(m)]]) && ignored_gt(g)) break;  // real objects were all tried
        const double iou = overlap(dets[d], g);
        if (iou < best) continue;  // IoU exactly on the threshold matches
        best = iou, m = static_cast<int>(k);
      }
      Scored& e = out[first + d];
      if (m == -1) {
        if (dets[d].area < lo || dets[d].area > hi) e.ignored |= bit;  // unmatched and outside the range: ignored
        continue;
      }
      e.matched |= bit;
      if (ignored_gt(gts[order[static_cast<size_t>(m)]])) e.ignored |= bit;
      if (num_gts > 64) taken_large[static_cast<size_t>(m)] = 1;
      else taken_small |= uint64_t{1} << m;
    }
  }
  return counted;
}

struct Curves {
  // precision[t][r] and recall[t] for one class, area range and maxDets; NaN-free, valid = the class had objects
  std::array<std::array<double, kRecallPoints>, kThresholds> precision{};
  std::array<double, kThresholds> recall{};
  bool valid = false;
};

// pycocotools' accumulate for one class, area range and maxDets; `entries` in descending score order (stable).
Curves accumulate(const std::vector<Scored>& entries, int64_t npig, int max_det, std::vector<double>& rc, std::vector<double>& pr) {
  Curves c;
  if (npig == 0) return c;
  c.valid = true;
  for (int t = 0; t < kThresholds; ++t) {
    const auto bit = static_cast<uint16_t>(1u << t);
    rc.clear();
    pr.clear();
    double tp = 0, fp = 0;
    for (const auto& e : entries) {
      if (e.rank >= static_cast<uint32_t>(max_det) || (e.ignored & bit)) continue;
      if (e.matched & bit) tp += 1;
      else fp += 1;
      rc.push_back(tp / static_cast<double>(npig));
      pr.push_back(tp / (tp + fp + std::numeric_limits<double>::epsilon()));
    }
    c.recall[static_cast<size_t>(t)] = rc.empty() ? 0 : rc.back();
    for (size_t i = pr.size(); i-- > 1;) pr[i - 1] = std::max(pr[i - 1], pr[i]);
    for (int r = 0; r < kRecallPoints; ++r) {
      const auto it = std::lower_bound(rc.begin(), rc.end(), recall_point(r));  // searchsorted(side="left")
      if (it == rc.end()) break;  // every higher recall point stays 0, as in pycocotools
      c.precision[static_cast<size_t>(t)][static_cast<size_t>(r)] = pr[static_cast<size_t>(it - rc.begin())];
    }
  }
  return c;
}

double mean_or_nan(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// The problem indexed per class: objects as (image, box) in image order, detection indices in file order, and each
// detection's image. Images: the ground truth's, then any that only detections mention; their index order is the
// order in which accumulate() meets them, which breaks score ties (pycocotools: sorted image ids).
struct Problem {
  const std::vector<Detection>* detections = nullptr;
  std::vector<std::vector<std::pair<size_t, Box>>> gts;
  std::vector<std::vector<size_t>> dets;
  std::vector<size_t> image_of;
  std::vector<int64_t> num_gt;
};

Problem index_problem(const std::vector<data::Annotation>& ground_truth, const std::vector<Detection>& detections, int64_t num_classes) {
  auto image_index = index_ground_truth(ground_truth);
  for (const auto& d : detections) image_index.emplace(d.image_id, image_index.size());
  const size_t classes = static_cast<size_t>(num_classes);
  Problem p;
  p.detections = &detections;
  p.gts.resize(classes);
  p.dets.resize(classes);
  p.num_gt.assign(classes, 0);
  for (const auto& a : ground_truth)
    for (const auto& o : a.objects) {
      if (o.label < 1 || o.label > num_classes) continue;
      const double box_area = static_cast<double>(o.x2 - o.x1) * static_cast<double>(o.y2 - o.y1);
      p.gts[static_cast<size_t>(o.label - 1)].push_back(
          {image_index.at(a.id), {o.x1, o.y1, o.x2, o.y2, o.area >= 0 ? o.area : box_area, box_area, o.crowd, o.crowd || o.difficult}});
      if (!o.crowd && !o.difficult) ++p.num_gt[static_cast<size_t>(o.label - 1)];
    }
  p.image_of.resize(detections.size());
  for (size_t i = 0; i < detections.size(); ++i) {
    const auto& d = detections[i];
    p.image_of[i] = image_index.at(d.image_id);
    if (d.label >= 1 && d.label <= num_classes) p.dets[static_cast<size_t>(d.label - 1)].push_back(i);
  }
  return p;
}

using ClassCurves = std::array<std::array<Curves, 3>, kAreas>;  // [area][maxDet]

// One class: its detections matched image by image in every area range, then accumulated for each maxDets.
ClassCurves evaluate_class(Problem& p, size_t k) {
  const auto& detections = *p.detections;
  const auto& image_of = p.image_of;
  auto& mine = p.dets[k];
  // By image, and within an image by descending score (stable: file order breaks ties, as pycocotools' mergesort).
  std::stable_sort(mine.begin(), mine.end(), [&](size_t x, size_t y) {
    if (image_of[x] != image_of[y]) return image_of[x] < image_of[y];
    return detections[x].score > detections[y].score;
  });
  const auto& objects = p.gts[k];
  std::array<std::vector<Scored>, kAreas> entries;
  std::array<int64_t, kAreas> npig{};
  std::vector<Box> boxes, gt_boxes;
  std::vector<double> scores;
  std::vector<size_t> order;
  size_t d = 0, g = 0;
  while (d < mine.size() || g < objects.size()) {
    const size_t image = std::min(d < mine.size() ? image_of[mine[d]] : SIZE_MAX, g < objects.size() ? objects[g].first : SIZE_MAX);
    boxes.clear(), scores.clear(), gt_boxes.clear();
    for (; d < mine.size() && image_of[mine[d]] == image; ++d) {
      if (boxes.size() == static_cast<size_t>(kMaxDets[2])) continue;  // the 100 best per image and class
      const auto& x = detections[mine[d]];
      const double area = coco_area(x);
      boxes.push_back({x.x1, x.y1, x.x2, x.y2, area, area});
      scores.push_back(x.score);
    }
    for (; g < objects.size() && objects[g].first == image; ++g) gt_boxes.push_back(objects[g].second);
    for (int a = 0; a < kAreas; ++a)
      npig[static_cast<size_t>(a)] += evaluate_image(gt_boxes.data(), gt_boxes.size(), boxes.data(), scores.data(), boxes.size(), a,
                                                     order, entries[static_cast<size_t>(a)]);
  }
  ClassCurves curves;
  std::vector<double> rc, pr;
  for (int a = 0; a < kAreas; ++a) {
    auto& list = entries[static_cast<size_t>(a)];
    std::stable_sort(list.begin(), list.end(), [](const Scored& x, const Scored& y) { return x.score > y.score; });
    for (int m = 0; m < 3; ++m)
      curves[static_cast<size_t>(a)][static_cast<size_t>(m)] = accumulate(list, npig[static_cast<size_t>(a)], kMaxDets[m], rc, pr);
  }
  return curves;
}

// summarize(): means over the selected thresholds, recall points and classes with objects.
CocoResult summarize(const std::vector<ClassCurves>& curves, std::vector<int64_t> num_gt) {
  const size_t classes = curves.size();
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
  CocoResult result;
  result.num_gt = std::move(num_gt);
  result.stats = {ap(-1, 0, 2), ap(0, 0, 2), ap(5, 0, 2), ap(-1, 1, 2), ap(-1, 2, 2), ap(-1, 3, 2),
                  ar(0, 0),     ar(0, 1),    ar(0, 2),    ar(1, 2),     ar(2, 2),     ar(3, 2)};
  result.map = result.stats[0];
  for (size_t k = 0; k < classes; ++k) {
    result.ap.push_back(ap(-1, 0, 2, static_cast<int64_t>(k)));
    result.ap50.push_back(ap(0, 0, 2, static_cast<int64_t>(k)));
  }
  return result;
}

}  // namespace

CocoResult evaluate_coco(const std::vector<data::Annotation>& ground_truth, const std::vector<Detection>& detections,
                         int64_t num_classes) {
  auto problem = index_problem(ground_truth, detections, num_classes);
  const size_t classes = static_cast<size_t>(num_classes);
  // Classes are independent, so they are spread over the cores.
  std::vector<ClassCurves> curves(classes);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k; (k = next++) < classes;) curves[k] = evaluate_class(problem, k);
  };
  std::vector<std::thread> pool;
  const size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), classes);
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return summarize(curves, std::move(problem.num_gt));
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
