#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "ssd/runs/compare.h"
#include "ssd/util/plot.h"

namespace fs = std::filesystem;

namespace ssd::runs {

namespace {

using Row = engine::MetricsLog::Row;

// One panel: `value` of each run's rows of `kind`, against the iteration or the wall time in minutes.
util::Panel curves(const std::vector<RunRecord>& runs, const std::string& kind, double (*value)(const Row&), bool by_time,
                   const std::string& title, const std::string& y_label) {
  util::Panel p;
  p.title = title;
  p.x_label = by_time ? "wall time (minutes)" : "iteration";
  p.y_label = y_label;
  p.x_min = 0;
  for (const auto& r : runs) {
    util::Series s{r.name, {}, {}};
    for (const auto& row : r.rows) {
      if (row.kind != kind) continue;
      const double x = by_time ? row.time_s / 60 : row.iteration, y = value(row);
      if (std::isfinite(x) && std::isfinite(y)) s.x.push_back(x), s.y.push_back(y);
    }
    p.series.push_back(s);
  }
  return p;
}

}  // namespace

std::vector<std::string> write_compare_figures(const std::vector<RunRecord>& runs, const std::string& dir) {
  fs::create_directories(dir);
  std::vector<std::string> paths;
  for (const bool by_time : {false, true}) {
    auto lr = curves(runs, "train", [](const Row& r) { return r.lr; }, by_time, "learning rate", "learning rate");
    for (auto& s : lr.series) s.steps = true;  // each logged LR stands for the steps since the row before
    auto loss = curves(runs, "train", [](const Row& r) { return r.loss_loc + r.loss_conf; }, by_time, "training loss", "loss");
    auto loc = curves(runs, "train", [](const Row& r) { return r.loss_loc; }, by_time, "localisation loss (box regression)", "loss");
    auto conf = curves(runs, "train", [](const Row& r) { return r.loss_conf; }, by_time, "classification loss", "loss");
    auto map = curves(runs, "val", [](const Row& r) { return r.map_voc; }, by_time, "validation mAP@0.5 (VOC all-point)", "mAP@0.5");
    for (auto* p : {&lr, &loss, &loc, &conf}) p->log_y_when_wide = true;
    map.unit_range = true;
    const auto path = (fs::path(dir) / (by_time ? "compare_time.png" : "compare_iterations.png")).string();
    util::save_chart(path, {lr, loss, loc, conf, map}, 900, 280);
    paths.push_back(path);
  }
  return paths;
}

}  // namespace ssd::runs
