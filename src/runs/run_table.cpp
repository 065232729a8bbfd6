#include "ssd/runs/run_table.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>

namespace ssd::runs {

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {:02d} s", s / 60, s % 60);
  return fmt::format("{} h {:02d} min", s / 3600, (s % 3600) / 60);
}

RunTable run_table(const std::vector<RunRecord>& runs, size_t max_key_columns) {
  RunTable t;
  t.header = {"run", "status", "epochs", "best mAP", "at epoch", "wall time", "img/s"};
  t.fixed_columns = t.header.size();
  auto keys = differing_keys(runs);
  if (max_key_columns > 0 && keys.size() > max_key_columns) {
    t.keys_left_out.assign(keys.begin() + static_cast<std::ptrdiff_t>(max_key_columns), keys.end());
    keys.resize(max_key_columns);
  }
  t.header.insert(t.header.end(), keys.begin(), keys.end());
  auto number = [](double v, const char* format) { return std::isfinite(v) ? fmt::format(fmt::runtime(format), v) : std::string("-"); };
  for (const auto& r : runs) {
    std::string epochs = number(r.epochs_done(), "{:.4g}");
    if (r.summary && r.summary->epochs > 0) epochs += "/" + std::to_string(r.summary->epochs);
    std::vector<std::string> row{r.name, r.status, epochs, number(r.best_map(), "{:.4f}"), number(r.best_epoch(), "{:.0f}"),
                                 duration_text(r.wall_seconds()), number(r.images_per_second(), "{:.1f}")};
    for (const auto& key : keys) {
      const auto it = r.config.find(key);
      row.push_back(it == r.config.end() ? "(not set)" : it->second);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string format_text(const RunTable& t) {
  std::vector<size_t> width(t.header.size(), 0);
  for (size_t c = 0; c < t.header.size(); ++c) {
    width[c] = t.header[c].size();
    for (const auto& row : t.rows) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      // Numbers right-aligned (epochs to img/s), text left-aligned.
      const bool right = c >= 2 && c < t.fixed_columns;
      out += right ? fmt::format("{:>{}}", cells[c], width[c]) : fmt::format("{:<{}}", cells[c], width[c]);
      if (c + 1 < cells.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string text = line(t.header);
  for (const auto& row : t.rows) text += line(row);
  if (!t.keys_left_out.empty()) {
    text += fmt::format("{} more config key(s) differ:", t.keys_left_out.size());
    for (const auto& key : t.keys_left_out) text += " " + key;
    text += "\n";
  }
  return text;
}

ClassApTable class_ap_table(const std::vector<RunRecord>& runs) {
  ClassApTable t;
  for (const auto& r : runs)
    if (r.summary && !r.summary->best_class_ap.empty())
      for (const auto& c : r.summary->classes)
        if (std::find(t.classes.begin(), t.classes.end(), c) == t.classes.end()) t.classes.push_back(c);
  for (const auto& c : t.classes) {
    std::vector<double> row;
    for (const auto& r : runs) {
      double ap = std::nan("");
      if (r.summary) {
        const auto& s = *r.summary;
        const auto at = static_cast<size_t>(std::find(s.classes.begin(), s.classes.end(), c) - s.classes.begin());
        if (at < s.best_class_ap.size()) ap = s.best_class_ap[at];
      }
      row.push_back(ap);
    }
    t.ap.push_back(std::move(row));
  }
  return t;
}

std::string format_text(const ClassApTable& t, const std::vector<RunRecord>& runs) {
  size_t first = 5;
  for (const auto& c : t.classes) first = std::max(first, c.size());
  std::vector<size_t> width;
  std::string text = fmt::format("{:<{}}", "class", first);
  for (const auto& r : runs) width.push_back(std::max<size_t>(6, r.name.size())), text += fmt::format("  {:>{}}", r.name, width.back());
  text += "\n";
  for (size_t c = 0; c < t.classes.size(); ++c) {
    text += fmt::format("{:<{}}", t.classes[c], first);
    for (size_t i = 0; i < runs.size(); ++i)
      text += fmt::format("  {:>{}}", std::isfinite(t.ap[c][i]) ? fmt::format("{:.4f}", t.ap[c][i]) : "-", width[i]);
    text += "\n";
  }
  return text;
}

}  // namespace ssd::runs
