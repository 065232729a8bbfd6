#include "ssd/lr/preview.h"

#include <cstdio>
#include <sstream>
#include <set>

#include "ssd/util/plot.h"
#include "ssd/util/text_file.h"

namespace ssd::lr {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void write_lr_preview(const LrController& control, const std::vector<std::string>& group_names, const std::string& path) {
  const int64_t total = control.total_iters();
  const double per_epoch = static_cast<double>(control.iters_per_epoch());
  const bool has_momentum = control.momentum(0).has_value();
  const size_t groups = std::max<size_t>(group_names.size(), 1);
  if (ends_with(path, ".csv")) {
    std::ostringstream out;
    out << "iteration,epoch";
    for (size_t g = 0; g < groups; ++g) out << ",lr" << (g == 0 ? "" : "_" + group_names[g]);
    if (has_momentum) out << ",momentum";
    out << "\n";
    char cell[64];
    for (int64_t t = 0; t < total; ++t) {
      std::snprintf(cell, sizeof(cell), "%lld,%.4f", static_cast<long long>(t), static_cast<double>(t) / per_epoch);
      out << cell;
      for (size_t g = 0; g < groups; ++g) {
        std::snprintf(cell, sizeof(cell), ",%.8g", control.lr(t, g));
        out << cell;
      }
      if (has_momentum) {
        std::snprintf(cell, sizeof(cell), ",%.6g", *control.momentum(t));
        out << cell;
      }
      out << "\n";
    }
    util::write_text_file(path, out.str());
    return;
  }
  // At most ~3000 points, plus both sides of every phase boundary so that steps stay steps.
  std::set<int64_t> ts;
  const int64_t stride = std::max<int64_t>(total / 3000, 1);
  for (int64_t t = 0; t < total; t += stride) ts.insert(t);
  ts.insert(total - 1);
  for (const auto& p : control.phases())
    for (int64_t d : {-1, 0}) ts.insert(std::clamp<int64_t>(p.start + d, 0, total - 1));
  util::Series lr{"lr"}, momentum{"momentum"};
  for (int64_t t : ts) {
    lr.x.push_back(static_cast<double>(t)), lr.y.push_back(control.lr(t));
    if (has_momentum) momentum.x.push_back(static_cast<double>(t)), momentum.y.push_back(*control.momentum(t));
  }
  util::Panel p;
  char title[256];
  std::snprintf(title, sizeof(title), "learning rate: %lld iterations = %.4g epochs of %lld%s", static_cast<long long>(total),
                static_cast<double>(total) / per_epoch, static_cast<long long>(control.iters_per_epoch()),
                control.needs_validation() ? " (plateau reductions happen at validations: not shown)" : "");
  p.title = title;
  p.x_label = "iteration";
  p.y_label = "learning rate";
  p.log_y_when_wide = true;  // a warm-up from x0.001 and decays by x0.1 show on a log axis
  p.series = {lr};
  const auto phases = control.phases();
  for (size_t i = 0; i < phases.size() && i < 40; ++i) {
    p.markers_x.push_back(static_cast<double>(phases[i].start));
    p.marker_labels.push_back(phases.size() <= 8 ? phases[i].label : "");
  }
  p.markers_x.push_back(static_cast<double>(total - 1));
  p.marker_labels.push_back("end");
  std::vector<util::Panel> panels{p};
  if (has_momentum) {
    util::Panel m;
    m.title = "momentum (SGD momentum / Adam beta1)";
    m.x_label = "iteration";
    m.y_label = "momentum";
    m.series = {momentum};
    m.markers_x = p.markers_x;
    panels.push_back(m);
  }
  util::save_chart(path, panels);
}

}  // namespace ssd::lr
