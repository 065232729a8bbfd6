#include "ssd/eval/voc_eval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <unordered_map>

#include "ssd/ops/box_overlap.h"
#include "ssd/util/error.h"

namespace ssd::eval {

Detection detection_from_xywh(std::string image_id, int64_t label, double score, double x, double y, double w, double h) {
  Detection d;
  d.image_id = std::move(image_id);
  d.label = label;
  d.score = score;
  d.x1 = x, d.y1 = y, d.x2 = x + w, d.y2 = y + h;
  d.area = w * h;
  return d;
}

double coco_area(const Detection& d) { return d.area >= 0 ? d.area : (d.x2 - d.x1) * (d.y2 - d.y1); }

double average_precision(const std::vector<double>& rec, const std::vector<double>& prec, bool use_07, Voc07Ticks ticks) {
  if (use_07) {
    double ap = 0;
    for (int i = 0; i <= 10; ++i) {
      // numpy.arange computes start + i * step: 3 * 0.1 is 0.30000000000000004, not the double nearest 0.3.
      const double t = ticks == Voc07Ticks::kArange ? i * 0.1 : i / 10.0;
      double p = 0;
      for (size_t k = 0; k < rec.size(); ++k)
        if (rec[k] >= t) p = std::max(p, prec[k]);
      ap += p / 11.0;
    }
    return ap;
  }
  // All-point: sentinels, precision envelope from the right, then sum over the recall steps.
  std::vector<double> mrec{0.0}, mpre{0.0};
  mrec.insert(mrec.end(), rec.begin(), rec.end());
  mpre.insert(mpre.end(), prec.begin(), prec.end());
  mrec.push_back(1.0);
  mpre.push_back(0.0);
  for (size_t i = mpre.size() - 1; i > 0; --i) mpre[i - 1] = std::max(mpre[i - 1], mpre[i]);
  double ap = 0;
  for (size_t i = 1; i < mrec.size(); ++i)
    if (mrec[i] != mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
  return ap;
}

std::unordered_map<std::string, size_t> index_ground_truth(const std::vector<data::Annotation>& gt) {
  std::unordered_map<std::string, size_t> image_index;
  for (size_t i = 0; i < gt.size(); ++i)
    if (!image_index.emplace(gt[i].id, i).second)
      throw DataError("image id '" + gt[i].id + "' appears twice in the ground truth (" + gt[image_index[gt[i].id]].image_path +
                      " and " + gt[i].image_path + "): detections could not be told apart; give the images distinct names");
  return image_index;
}

VocResult evaluate_voc(const std::vector<data::Annotation>& gt, const std::vector<Detection>& dets, int64_t num_classes,
                       bool use_07, double iou_threshold, Voc07Ticks ticks) {
  VocResult r;
  r.metric = use_07 ? "voc07" : "voc";
  const auto image_index = index_ground_truth(gt);
  double sum = 0;
  int64_t counted = 0;
  for (int64_t cls = 1; cls <= num_classes; ++cls) {
    // Ground truth of this class per image, with a "matched" flag each.
    std::vector<std::vector<const data::Object*>> objects(gt.size());
    std::vector<std::vector<char>> matched(gt.size());
    int64_t npos = 0;
    for (size_t i = 0; i < gt.size(); ++i)
      for (const auto& o : gt[i].objects)
        if (o.label == cls) {
          objects[i].push_back(&o);
          matched[i].push_back(0);
          npos += o.difficult ? 0 : 1;
        }
    std::vector<const Detection*> mine;
    for (const auto& d : dets)
      if (d.label == cls) mine.push_back(&d);
    std::stable_sort(mine.begin(), mine.end(), [](const Detection* a, const Detection* b) { return a->score > b->score; });

    std::vector<double> tp, fp, scores, tp_iou;
    for (const Detection* d : mine) {
      const auto it = image_index.find(d->image_id);
      double best = -1;
      int64_t best_j = -1;
      if (it != image_index.end())
        for (size_t j = 0; j < objects[it->second].size(); ++j) {
          const double o = ops::iou(ops::corners_of<double>(*d), ops::corners_of<double>(*objects[it->second][j]));
          if (o > best) best = o, best_j = static_cast<int64_t>(j);
        }
      double is_tp = 0, is_fp = 0;
      if (best >= iou_threshold) {
        const auto& g = *objects[it->second][best_j];
        char& used = matched[it->second][best_j];
        if (g.difficult) {
          // ignored: neither true nor false positive
        } else if (!used) {
          is_tp = 1;
          used = 1;
        } else {
          is_fp = 1;
        }
      } else {
        is_fp = 1;
      }
      if (is_tp == 0 && is_fp == 0) continue;
      tp.push_back(is_tp);
      fp.push_back(is_fp);
      scores.push_back(d->score);
      tp_iou.push_back(is_tp > 0 ? best : 0.0);
    }
    std::partial_sum(tp.begin(), tp.end(), tp.begin());
    std::partial_sum(tp_iou.begin(), tp_iou.end(), tp_iou.begin());
    std::partial_sum(fp.begin(), fp.end(), fp.begin());
    std::vector<double> rec(tp.size()), prec(tp.size());
    for (size_t k = 0; k < tp.size(); ++k) {
      rec[k] = npos > 0 ? tp[k] / npos : 0;
      prec[k] = tp[k] / std::max(tp[k] + fp[k], std::numeric_limits<double>::min());
    }
    const double ap = npos > 0 ? average_precision(rec, prec, use_07, ticks) : std::nan("");
    r.ap.push_back(ap);
    r.num_gt.push_back(npos);
    r.num_det.push_back(static_cast<int64_t>(mine.size()));
    std::vector<int64_t> tp_count(tp.size());
    for (size_t k = 0; k < tp.size(); ++k) tp_count[k] = static_cast<int64_t>(std::llround(tp[k]));
    r.curves.push_back({std::move(scores), std::move(rec), std::move(prec), std::move(tp_count), std::move(tp_iou)});
    if (npos > 0) sum += ap, ++counted;
  }
  r.map = counted ? sum / counted : std::nan("");
  return r;
}

std::string format_table(const VocResult& r, const std::vector<std::string>& names) {
  std::ostringstream os;
  const std::string title = r.metric == "voc07" ? "VOC07 11-point AP@0.5" : "VOC all-point AP@0.5";
  size_t width = 5;
  for (const auto& n : names) width = std::max(width, n.size());
  char line[256];
  std::snprintf(line, sizeof(line), "%-*s %8s %8s %10s\n", static_cast<int>(width), "class", "AP (%)", "gt", "detections");
  os << title << "\n" << line;
  for (size_t c = 0; c < r.ap.size(); ++c) {
    if (std::isnan(r.ap[c])) std::snprintf(line, sizeof(line), "%-*s %8s %8lld %10lld\n", static_cast<int>(width), names[c].c_str(), "n/a",
                                           static_cast<long long>(r.num_gt[c]), static_cast<long long>(r.num_det[c]));
    else std::snprintf(line, sizeof(line), "%-*s %8.2f %8lld %10lld\n", static_cast<int>(width), names[c].c_str(), 100 * r.ap[c],
                       static_cast<long long>(r.num_gt[c]), static_cast<long long>(r.num_det[c]));
    os << line;
  }
  std::snprintf(line, sizeof(line), "%-*s %8.2f\n", static_cast<int>(width), "mAP", 100 * r.map);
  os << line;
  return os.str();
}

}  // namespace ssd::eval
