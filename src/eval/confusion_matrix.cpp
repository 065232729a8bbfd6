#include "ssd/eval/confusion_matrix.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <tuple>

#include "ssd/ops/box_overlap.h"
#include "ssd/util/csv.h"
#include "ssd/util/error.h"
#include "ssd/util/text_file.h"

namespace ssd::eval {

ConfusionMatrix confusion_matrix(const std::vector<data::Annotation>& gt, const std::vector<Detection>& dets, int64_t num_classes,
                                 double iou_threshold, double score_threshold) {
  ConfusionMatrix m;
  m.iou_threshold = iou_threshold;
  m.score_threshold = score_threshold;
  const auto C = static_cast<size_t>(num_classes);
  m.counts.assign(C + 1, std::vector<int64_t>(C + 1, 0));
  const auto image_index = index_ground_truth(gt);
  std::vector<std::vector<const Detection*>> per_image(gt.size());
  for (const auto& d : dets) {
    if (d.score < score_threshold) continue;
    const auto it = image_index.find(d.image_id);
    if (it == image_index.end()) ++m.counts[C][static_cast<size_t>(d.label - 1)];
    else per_image[it->second].push_back(&d);
  }
  for (size_t i = 0; i < gt.size(); ++i) {
    const auto& objects = gt[i].objects;
    const auto& mine = per_image[i];
    std::vector<std::tuple<double, size_t, size_t>> pairs;  // (IoU, detection, object)
    for (size_t k = 0; k < mine.size(); ++k)
      for (size_t j = 0; j < objects.size(); ++j) {
        const double iou = ops::iou(ops::corners_of<double>(*mine[k]), ops::corners_of<double>(objects[j]));
        if (iou >= iou_threshold) pairs.emplace_back(iou, k, j);
      }
    // Highest IoU first; ties in detection, then object order, so the result does not depend on the sort.
    std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
      if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
      return std::make_pair(std::get<1>(a), std::get<2>(a)) < std::make_pair(std::get<1>(b), std::get<2>(b));
    });
    std::vector<char> det_used(mine.size(), 0), obj_used(objects.size(), 0);
    for (const auto& [iou, k, j] : pairs) {
      if (det_used[k] || obj_used[j]) continue;
      det_used[k] = obj_used[j] = 1;
      const auto& o = objects[j];
      if (o.difficult || o.crowd) continue;
      ++m.counts[static_cast<size_t>(o.label - 1)][static_cast<size_t>(mine[k]->label - 1)];
    }
    for (size_t k = 0; k < mine.size(); ++k)
      if (!det_used[k]) ++m.counts[C][static_cast<size_t>(mine[k]->label - 1)];
    for (size_t j = 0; j < objects.size(); ++j)
      if (!obj_used[j] && !objects[j].difficult && !objects[j].crowd) ++m.counts[static_cast<size_t>(objects[j].label - 1)][C];
  }
  return m;
}

void write_confusion_csv(const std::string& path, const ConfusionMatrix& m, const std::vector<std::string>& names, bool normalized) {
  std::ostringstream out;
  out << "true\\predicted";
  for (const auto& n : names) out << "," << util::csv_quoted(n);
  out << ",background\n";
  for (size_t r = 0; r < m.counts.size(); ++r) {
    out << (r < names.size() ? util::csv_quoted(names[r]) : std::string("background"));
    int64_t total = 0;
    for (int64_t v : m.counts[r]) total += v;
    for (int64_t v : m.counts[r]) {
      if (!normalized) out << "," << v;
      else out << "," << (total ? fmt::format("{:.6f}", static_cast<double>(v) / static_cast<double>(total)) : std::string());
    }
    out << "\n";
  }
  util::write_text_file(path, out.str());
}

}  // namespace ssd::eval
