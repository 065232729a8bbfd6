#include "ssd/engine/metrics_log.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <string>
#include <sstream>

#include "ssd/util/plot.h"
#include "ssd/util/text_file.h"

namespace ssd::engine {

namespace {
const char* kHeader = "kind,iteration,epoch,lr,loss,loss_loc,loss_conf,img_per_s,data_wait,map_voc,map_voc07,time_s";
}

// One row of metrics.csv, or none when the line is not one.
std::optional<MetricsLog::Row> MetricsLog::parse_row(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
  if (f.size() < 9 || (f[0] != "train" && f[0] != "val")) return std::nullopt;
  f.resize(12);
  bool ok = true;
  auto num = [&ok](const std::string& s) {
    if (s.empty()) return 0.0;
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      ok = false;
    }
    ok = ok && used == s.size();
    return v;
  };
  Row r;
  r.kind = f[0];
  r.iteration = num(f[1]), r.epoch = num(f[2]);
  if (r.kind == "train") r.lr = num(f[3]), r.loss_loc = num(f[5]), r.loss_conf = num(f[6]), r.ips = num(f[7]), r.wait = num(f[8]);
  else r.val_loss = f[4].empty() ? std::nan("") : num(f[4]), r.map_voc = num(f[9]), r.map_voc07 = num(f[10]);
  if (!f[11].empty()) r.time_s = num(f[11]);
  if (!ok) return std::nullopt;
  return r;
}

std::vector<MetricsLog::Row> MetricsLog::read(const std::string& path) {
  std::vector<Row> rows;
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);)
    if (const auto r = parse_row(line)) rows.push_back(*r);
  return rows;
}

MetricsLog::MetricsLog(std::string path, bool append, int64_t keep_until) : path_(std::move(path)) {
  std::string text = std::string(kHeader) + "\n";
  std::ifstream in(path_, std::ios::binary);
  if (append && in) {
    const std::string old((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    int64_t left_out = 0;
    // Only lines ended by their newline count: a run stopped in the middle of a line (a kill, a full disk) wrote the
    // rest of it never.
    size_t begin = old.find('\n');  // after the header
    for (size_t end; begin != std::string::npos && (end = old.find('\n', begin + 1)) != std::string::npos; begin = end) {
      const std::string line = old.substr(begin + 1, end - begin - 1);
      const auto r = parse_row(line);
      if (!r) {
        left_out += !line.empty();
        continue;
      }
      if (r->iteration > static_cast<double>(keep_until)) continue;
      rows_.push_back(*r);
      text += line + "\n";
    }
    if (begin != std::string::npos && begin + 1 < old.size()) ++left_out;  // the cut-off last line
    if (left_out > 0) spdlog::warn("{}: left out {} line(s) that are not whole rows (a run stopped while writing them)", path_, left_out);
  }
  // Whole or not at all: a kill while the kept rows are written back leaves the file as it was.
  util::write_text_file(path_, text);
}

void MetricsLog::append_line(const Row& r) {
  rows_.push_back(r);
  std::ofstream out(path_, std::ios::app);
  char line[256];
  if (r.kind == "train")
    std::snprintf(line, sizeof(line), "train,%.0f,%.0f,%.6g,%.6g,%.6g,%.6g,%.4g,%.4g,,,%.1f\n", r.iteration, r.epoch, r.lr,
                  r.loss_loc + r.loss_conf, r.loss_loc, r.loss_conf, r.ips, r.wait, r.time_s);
  else
    std::snprintf(line, sizeof(line), "val,%.0f,%.0f,,%s,,,,,%.6g,%.6g,%.1f\n", r.iteration, r.epoch,
                  std::isfinite(r.val_loss) ? std::to_string(r.val_loss).c_str() : "", r.map_voc, r.map_voc07, r.time_s);
  out << line;
}

void MetricsLog::add_train_row(int64_t iteration, int64_t epoch, double lr, double loss_loc, double loss_conf, double ips,
                               double wait, double time_s) {
  Row r;
  r.kind = "train";
  r.time_s = time_s;
  r.iteration = static_cast<double>(iteration), r.epoch = static_cast<double>(epoch);
  r.lr = lr, r.loss_loc = loss_loc, r.loss_conf = loss_conf, r.ips = ips, r.wait = wait;
  append_line(r);
}

void MetricsLog::add_val_row(int64_t iteration, int64_t epoch, double map_voc, double map_voc07, double val_loss, double time_s) {
  Row r;
  r.time_s = time_s;
  r.kind = "val";
  r.val_loss = val_loss;
  r.iteration = static_cast<double>(iteration), r.epoch = static_cast<double>(epoch);
  r.map_voc = map_voc, r.map_voc07 = map_voc07;
  append_line(r);
}

void MetricsLog::plot(const std::string& png_path, const std::vector<int64_t>& boundaries) const {
  util::Series loss{"loss"}, loc{"loss_loc"}, conf{"loss_conf"}, lr{"lr"}, val_loss{"val loss"}, voc{"mAP (VOC all-point)"}, voc07{"mAP (VOC07 11-point)"};
  for (const auto& r : rows_) {
    if (r.kind == "train") {
      for (auto* s : {&loss, &loc, &conf, &lr}) s->x.push_back(r.iteration);
      loss.y.push_back(r.loss_loc + r.loss_conf);
      loc.y.push_back(r.loss_loc);
      conf.y.push_back(r.loss_conf);
      lr.y.push_back(r.lr);
    } else {
      if (std::isfinite(r.val_loss)) val_loss.x.push_back(r.iteration), val_loss.y.push_back(r.val_loss);
      voc.x.push_back(r.iteration), voc.y.push_back(r.map_voc);
      voc07.x.push_back(r.iteration), voc07.y.push_back(r.map_voc07);
    }
  }
  std::vector<double> marks(boundaries.begin(), boundaries.end());
  lr.steps = true;  // each logged LR stands for the steps since the row before: a step decay shows as a step
  auto panel = [&](const std::string& title, const std::string& y_label, std::vector<util::Series> series) {
    util::Panel p;
    p.title = title, p.x_label = "iteration", p.y_label = y_label, p.series = std::move(series), p.markers_x = marks;
    p.x_min = 0;
    return p;
  };
  auto losses = panel("training loss", "loss", {loss, loc, conf, val_loss});
  auto rates = panel("learning rate", "learning rate", {lr});
  auto maps = panel("validation mAP@0.5", "mAP@0.5", {voc, voc07});
  losses.log_y_when_wide = rates.log_y_when_wide = true;  // the first steps' loss, a warm-up from x0.001, decays by x0.1
  maps.unit_range = true;
  util::save_chart(png_path, {losses, rates, maps});
}

}  // namespace ssd::engine
