#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ssd/runs/compare.h"
#include "ssd/runs/run_table.h"
#include "ssd/util/csv.h"
#include "ssd/util/html.h"
#include "ssd/util/process_info.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::assets {
std::string_view uplot_js();  // third_party/uplot, compiled in by cmake/EmbedFiles.cmake
std::string_view uplot_css();
}  // namespace ssd::assets

namespace ssd::runs {

namespace {

// The runs' colours, the same in every chart, table and legend (matplotlib's tab10, as the PNGs).
const char* const kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string colour(size_t run) { return kColours[run % (sizeof(kColours) / sizeof(kColours[0]))]; }

using util::escape_html;

// JSON for a <script> element: <, > and & as \u escapes (the same strings to JavaScript), so that no run name can end
// the element or open a comment in it; bytes that are not UTF-8 replaced.
std::string script_json(const nlohmann::json& j) {
  const std::string dumped = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string text;
  text.reserve(dumped.size());
  for (const char c : dumped) {
    if (c == '<') text += "\\u003c";
    else if (c == '>') text += "\\u003e";
    else if (c == '&') text += "\\u0026";
    else text += c;
  }
  return text;
}

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// Each run's curves: train rows (iteration, time, LR, the loss terms) and val rows (iteration, time, mAPs, loss).
nlohmann::json curves_json(const std::vector<RunRecord>& runs) {
  nlohmann::json all = nlohmann::json::array();
  for (size_t i = 0; i < runs.size(); ++i) {
    nlohmann::json train = {{"it", nlohmann::json::array()}, {"t", nlohmann::json::array()}, {"lr", nlohmann::json::array()},
                            {"loss", nlohmann::json::array()}, {"loc", nlohmann::json::array()}, {"conf", nlohmann::json::array()}};
    nlohmann::json val = {{"it", nlohmann::json::array()}, {"t", nlohmann::json::array()}, {"map", nlohmann::json::array()},
                          {"map07", nlohmann::json::array()}, {"loss", nlohmann::json::array()}};
    for (const auto& r : runs[i].rows) {
      const double minutes = r.time_s / 60;
      if (r.kind == "train") {
        train["it"].push_back(r.iteration), train["t"].push_back(number(minutes)), train["lr"].push_back(number(r.lr));
        train["loss"].push_back(number(r.loss_loc + r.loss_conf)), train["loc"].push_back(number(r.loss_loc));
        train["conf"].push_back(number(r.loss_conf));
      } else {
        val["it"].push_back(r.iteration), val["t"].push_back(number(minutes)), val["map"].push_back(number(r.map_voc));
        val["map07"].push_back(number(r.map_voc07)), val["loss"].push_back(number(r.val_loss));
      }
    }
    all.push_back({{"name", runs[i].name}, {"colour", colour(i)}, {"train", train}, {"val", val}});
  }
  return all;
}

std::string swatch(size_t run) { return "<span class=\"swatch\" style=\"background:" + colour(run) + "\"></span>"; }

void runs_table(std::ostream& html, const std::vector<RunRecord>& runs) {
  const RunTable t = run_table(runs, /*max_key_columns=*/4);
  html << "<table class=\"runs\">\n<tr>";
  for (const auto& h : t.header) html << "<th>" << escape_html(h) << "</th>";
  html << "</tr>\n";
  for (size_t i = 0; i < t.rows.size(); ++i) {
    html << "<tr>";
    for (size_t c = 0; c < t.rows[i].size(); ++c) {
      const auto& cell = t.rows[i][c];
      if (c == 0) html << "<td>" << swatch(i) << escape_html(cell) << "</td>";
      else if (c == 1) html << "<td class=\"status " << escape_html(cell) << "\">" << escape_html(cell) << "</td>";
      else html << "<td" << (c < t.fixed_columns ? " class=\"num\"" : "") << ">" << escape_html(cell) << "</td>";
    }
    html << "</tr>\n";
  }
  html << "</table>\n";
}

// The keys that differ, one row each; a value that differs from the first run's is highlighted.
void config_differences(std::ostream& html, const std::vector<RunRecord>& runs) {
  const auto keys = differing_keys(runs);
  html << "<h2>Config differences</h2>\n";
  if (keys.empty()) {
    html << "<p>The runs' configs are the same (train.run_dir aside).</p>\n";
  } else {
    html << "<table class=\"config\">\n<tr><th>key</th>";
    for (size_t i = 0; i < runs.size(); ++i) html << "<th>" << swatch(i) << escape_html(runs[i].name) << "</th>";
    html << "</tr>\n";
    for (const auto& key : keys) {
      html << "<tr><td class=\"key\">" << escape_html(key) << "</td>";
      auto value = [&](const RunRecord& r) {
        const auto it = r.config.find(key);
        return it == r.config.end() ? std::string("(not set)") : it->second;
      };
      const std::string first = value(runs.front());
      for (const auto& r : runs) {
        const std::string v = value(r);
        html << "<td" << (v != first ? " class=\"differs\"" : "") << ">" << escape_html(v) << "</td>";
      }
      html << "</tr>\n";
    }
    html << "</table>\n<p class=\"note\">Highlighted: a value other than the first run's.</p>\n";
  }
  html << "<details><summary>Each run's whole config</summary>\n";
  for (const auto& r : runs) html << "<h3>" << escape_html(r.name) << "</h3>\n<pre>" << escape_html(r.config_yaml) << "</pre>\n";
  html << "</details>\n";
}

void provenance(std::ostream& html, const std::vector<RunRecord>& runs) {
  html << "<h2>How each run was made</h2>\n<table class=\"provenance\">\n<tr><th>run</th><th>command</th><th>version</th>"
          "<th>machine</th><th>started</th><th>ended</th><th>sessions</th></tr>\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    html << "<tr><td>" << swatch(i) << escape_html(runs[i].name) << "</td>";
    if (!runs[i].summary) {
      html << "<td colspan=\"6\">no summary.json (a run of an earlier version)</td></tr>\n";
      continue;
    }
    const auto& s = *runs[i].summary;
    std::string command;
    for (const auto& word : s.command) command += (command.empty() ? "" : " ") + word;
    std::string machine = s.host + ": " + s.device + ", " + std::to_string(s.threads) + " threads";
    if (s.processes > 1) machine += ", " + std::to_string(s.processes) + " processes";
    if (!s.cpu.empty()) machine += " (" + s.cpu + ")";
    html << "<td><code>" << escape_html(command) << "</code></td><td>" << escape_html(s.version) << "</td><td>" << escape_html(machine)
         << "</td><td>" << escape_html(s.started) << "</td><td>" << escape_html(s.ended.empty() ? "-" : s.ended) << "</td><td class=\"num\">"
         << s.sessions << "</td></tr>\n";
    if (!s.stop_reason.empty())
      html << "<tr><td></td><td colspan=\"6\" class=\"note\">" << escape_html(s.status) << ": " << escape_html(s.stop_reason) << "</td></tr>\n";
  }
  html << "</table>\n";
}

void class_ap(std::ostream& html, const std::vector<RunRecord>& runs) {
  const ClassApTable t = class_ap_table(runs);
  if (t.empty()) return;
  html << "<h2>AP per class at each run's best validation (VOC all-point)</h2>\n<table class=\"ap\">\n<tr><th>class</th>";
  for (size_t i = 0; i < runs.size(); ++i) html << "<th>" << swatch(i) << escape_html(runs[i].name) << "</th>";
  html << "</tr>\n";
  for (size_t c = 0; c < t.classes.size(); ++c) {
    double best = -1;
    for (const double v : t.ap[c])
      if (std::isfinite(v)) best = std::max(best, v);
    html << "<tr><td>" << escape_html(t.classes[c]) << "</td>";
    for (const double v : t.ap[c])
      html << "<td class=\"num" << (std::isfinite(v) && v == best ? " best" : "") << "\">" << (std::isfinite(v) ? fmt::format("{:.4f}", v) : "-")
           << "</td>";
    html << "</tr>\n";
  }
  html << "<tr class=\"mean\"><td>mAP</td>";
  for (const auto& r : runs) html << "<td class=\"num\">" << (std::isfinite(r.best_map()) ? fmt::format("{:.4f}", r.best_map()) : "-") << "</td>";
  html << "</tr>\n</table>\n<p class=\"note\">Bold: the best run for the class.</p>\n";
}

// A CSV file as a table (a tuner's leaderboard), its first record as the header.
void csv_table(std::ostream& html, const std::string& path) {
  html << "<table class=\"leaderboard\">\n";
  bool header = true;
  for (const auto& record : util::csv_records(util::read_text_file(path))) {
    html << "<tr>";
    for (const auto& cell : record) html << (header ? "<th>" : "<td>") << escape_html(cell) << (header ? "</th>" : "</td>");
    html << "</tr>\n";
    header = false;
  }
  html << "</table>\n";
}

void figures(std::ostream& html, const std::vector<RunRecord>& runs) {
  bool heading = false;
  for (size_t i = 0; i < runs.size(); ++i)
    for (const auto& [png, what] : {std::pair{runs[i].range_test_png, "LR range test"}, std::pair{runs[i].race_png, "LR race"}}) {
      if (png.empty()) continue;
      if (!heading) html << "<h2>Range tests and LR races</h2>\n<div class=\"figures\">\n", heading = true;
      html << "<figure><img alt=\"" << what << " of " << escape_html(runs[i].name) << "\" src=\"" << util::png_data_uri(png)
           << "\"><figcaption>" << swatch(i) << escape_html(runs[i].name) << ": " << what << "</figcaption></figure>\n";
    }
  if (heading) html << "</div>\n";
  std::set<std::string> shown;
  for (const auto& r : runs) {
    if (r.leaderboard_csv.empty() || !shown.insert(r.leaderboard_csv).second) continue;
    html << "<h2>Tuner leaderboard: " << escape_html(fs::path(r.leaderboard_csv).parent_path().string()) << "</h2>\n";
    csv_table(html, r.leaderboard_csv);
    if (!r.leaderboard_png.empty()) html << "<figure><img alt=\"leaderboard\" src=\"" << util::png_data_uri(r.leaderboard_png) << "\"></figure>\n";
  }
}

// The charts: uPlot, one per figure, rebuilt when the x axis changes (iterations / wall time); one cursor for all.
const char* kChartScript = R"JS(
const FIGURES = [  // what a run is judged by first, and the LR that made it, on the first row
  {title: 'Validation mAP@0.5 (VOC all-point)', y: 'mAP@0.5', kind: 'val', field: 'map', unit: true},
  {title: 'Learning rate', y: 'learning rate', kind: 'train', field: 'lr', stepped: true},
  {title: 'Training loss (total)', y: 'loss', kind: 'train', field: 'loss'},
  {title: 'Validation loss', y: 'loss', kind: 'val', field: 'loss'},
  {title: 'Localisation loss (box regression)', y: 'loss', kind: 'train', field: 'loc'},
  {title: 'Classification loss', y: 'loss', kind: 'train', field: 'conf'},
];
let charts = [];
// A log axis where every value is positive and they span more than 30x (as the PNGs decide).
function wide(values) {
  let lo = Infinity, hi = -Infinity;  // a loop: spreading 100k values into Math.max overflows the stack
  for (const x of values) {
    if (x === null) continue;
    if (!(x > 0)) return false;
    lo = Math.min(lo, x), hi = Math.max(hi, x);
  }
  return hi > 30 * lo;
}
// Tick labels: 1e-4 rather than 0.0001, 0.5 rather than 0.50000001.
function tick(v) {
  if (v === null) return '';
  return (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(0) : String(+v.toPrecision(3));
}
function draw(xKey) {
  charts.forEach(c => c.destroy());
  charts = [];
  const box = document.getElementById('charts');
  const width = Math.max(360, Math.min(640, (box.clientWidth - 24) / 2));
  for (const f of FIGURES) {
    const tables = RUNS.map(r => {
      const xs = [], ys = [];
      r[f.kind][xKey].forEach((x, i) => { if (x !== null) { xs.push(x); ys.push(r[f.kind][f.field][i]); } });
      return [xs, ys];
    });
    if (tables.every(t => t[1].every(y => y === null))) continue;
    const log = !f.unit && wide(tables.flatMap(t => t[1]));
    const data = uPlot.join(tables.map(t => [t[0], t[1].map(y => (log && !(y > 0)) ? null : y)]));
    const el = document.createElement('div');
    el.className = 'chart';
    box.appendChild(el);
    charts.push(new uPlot({
      title: f.title, width: width, height: 260,
      cursor: {sync: {key: 'runs'}},
      scales: {x: {time: false}, y: log ? {distr: 3} : (f.unit ? {range: [0, 1]} : {})},
      axes: [{label: xKey === 'it' ? 'iteration' : 'wall time (minutes)'},
             {label: f.y, size: 64, values: (u, ticks) => ticks.map(tick)}],
      series: [{label: xKey === 'it' ? 'iteration' : 'minutes'}].concat(RUNS.map(r => ({
        label: r.name, stroke: r.colour, width: 2, spanGaps: true, value: (u, v) => v === null ? '--' : v.toPrecision(4),
        paths: f.stepped ? uPlot.paths.stepped({align: -1}) : undefined,
        points: {show: f.kind === 'val'},
      }))),
    }, data, el));
  }
}
for (const input of document.querySelectorAll('input[name=x]')) input.addEventListener('change', e => {
  document.getElementById('charts').innerHTML = '';
  draw(e.target.value);
});
draw('it');
)JS";

const char* kStyle = R"CSS(
body { font-family: sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; font-size: 14px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.differs { background: #fff3bf; }
td.best { font-weight: bold; }
td.status.failed, td.status.died { color: #c92a2a; }
td.status.running { color: #1971c2; }
tr.mean td { border-top: 2px solid #999; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; border-radius: 2px; }
.note { color: #666; font-size: 13px; }
#charts { display: flex; flex-wrap: wrap; gap: 16px; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; } figure img { max-width: 900px; width: 100%; border: 1px solid #eee; }
pre { background: #f8f8f8; padding: 8px; font-size: 12px; }
code { font-size: 12px; }
)CSS";

}  // namespace

void write_compare_page(const std::vector<RunRecord>& runs, const std::string& html_path) {
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>SSD runs compared</title>\n<style>" << assets::uplot_css() << kStyle
       << "</style>\n</head><body>\n<h1>SSD runs compared</h1>\n<p class=\"note\">" << runs.size() << " runs; written "
       << util::utc_timestamp() << " by ssd-runs " << escape_html(util::build_version()) << "</p>\n";
  runs_table(html, runs);
  config_differences(html, runs);
  html << "<h2>Curves</h2>\n<p>x axis: <label><input type=\"radio\" name=\"x\" value=\"it\" checked> iterations</label> "
          "<label><input type=\"radio\" name=\"x\" value=\"t\"> wall time</label> <span class=\"note\">(click a run in a legend "
          "to hide it; the LR is drawn as the step function it is, each logged value standing for the steps since the row "
          "before)</span></p>\n<div id=\"charts\"></div>\n";
  class_ap(html, runs);
  figures(html, runs);
  provenance(html, runs);
  html << "<script>" << assets::uplot_js() << "</script>\n<script>const RUNS = " << script_json(curves_json(runs)) << ";\n"
       << kChartScript << "</script>\n</body></html>\n";
  util::write_text_file(html_path, html.str());
}

}  // namespace ssd::runs
