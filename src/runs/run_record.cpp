#include "ssd/runs/run_record.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "ssd/util/error.h"
#include "ssd/util/process_info.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::runs {

namespace {

// A leaf's value as one line of YAML: scalars as they are, lists and maps in flow style ("[0.8, 0.93]").
std::string leaf_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) return "null";
  YAML::Emitter out;
  out.SetSeqFormat(YAML::Flow);
  out.SetMapFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

void flatten(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (!node.IsMap()) {
    out[prefix] = leaf_text(node);
    return;
  }
  for (const auto& entry : node) {
    const std::string key = prefix.empty() ? entry.first.Scalar() : prefix + "." + entry.first.Scalar();
    flatten(entry.second, key, out);
  }
}

// "runs/a/" and "runs/./a" as "runs/a", so that its name and its parent are the folder's.
fs::path clean(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  return p.filename().empty() ? p.parent_path() : p;
}

std::string if_exists(const fs::path& path) { return fs::is_regular_file(path) ? path.string() : std::string(); }

// A run without summary.json: its best validation from metrics.csv (the first of equals, as best.pt keeps it).
const engine::MetricsLog::Row* best_val_row(const std::vector<engine::MetricsLog::Row>& rows) {
  const engine::MetricsLog::Row* best = nullptr;
  for (const auto& r : rows)
    if (r.kind == "val" && (!best || r.map_voc > best->map_voc)) best = &r;
  return best;
}

}  // namespace

double RunRecord::best_map() const {
  if (summary) return summary->best_map >= 0 ? summary->best_map : std::nan("");
  const auto* best = best_val_row(rows);
  return best ? best->map_voc : std::nan("");
}

double RunRecord::best_epoch() const {
  if (summary) return summary->best_epoch >= 0 ? static_cast<double>(summary->best_epoch) : std::nan("");
  const auto* best = best_val_row(rows);
  return best ? best->epoch : std::nan("");
}

double RunRecord::epochs_done() const {
  if (summary) return summary->epochs_done;
  return rows.empty() ? std::nan("") : rows.back().epoch;
}

double RunRecord::wall_seconds() const {
  if (summary) return summary->wall_seconds;
  return rows.empty() ? std::nan("") : rows.back().time_s;
}

double RunRecord::images_per_second() const {
  if (summary && summary->train_seconds > 0) return summary->images_per_second();
  double sum = 0;
  int n = 0;
  for (const auto& r : rows)
    if (r.kind == "train" && r.ips > 0) sum += r.ips, ++n;
  return n ? sum / n : std::nan("");
}

bool is_run_dir(const std::string& dir) {
  const fs::path d(dir);
  return fs::is_regular_file(d / "config.yaml") && (fs::is_regular_file(d / "summary.json") || fs::is_regular_file(d / "metrics.csv"));
}

RunRecord load_run(const std::string& dir) {
  const fs::path d = clean(dir);
  RunRecord r;
  r.dir = dir;
  r.name = d.filename().string();
  const fs::path config = d / "config.yaml";
  r.config_yaml = util::read_text_file(config.string());
  try {
    flatten(YAML::Load(r.config_yaml), "", r.config);
  } catch (const YAML::Exception& e) {
    throw DataError(config.string() + ":" + std::to_string(e.mark.line + 1) + ": not YAML (" + e.msg + ")");
  }
  const std::string summary = (d / "summary.json").string();
  if (fs::is_regular_file(summary)) r.summary = engine::parse_run_summary(util::read_text_file(summary), summary);
  r.rows = engine::MetricsLog::read((d / "metrics.csv").string());
  r.status = r.summary ? r.summary->status : "unknown";
  if (r.summary && r.status == "running" && r.summary->host == util::host_name() && !util::process_alive(r.summary->pid)) r.status = "died";
  r.range_test_png = if_exists(d / "lr_find.png");
  r.race_png = if_exists(d / "lr_race.png");
  // A tuner's leaderboard is beside its trials; an LR race's restarted rung (lr_race/trial_NNN/rung_N) is one further down.
  const bool race_rung = r.name.rfind("rung_", 0) == 0;
  for (const fs::path& where : {d, d.parent_path(), race_rung ? d.parent_path().parent_path() : d.parent_path()}) {
    if (r.leaderboard_csv.empty()) r.leaderboard_csv = if_exists(where / "leaderboard.csv");
    if (r.leaderboard_png.empty()) r.leaderboard_png = if_exists(where / "leaderboard.png");
  }
  return r;
}

std::vector<RunRecord> find_runs(const std::vector<std::string>& dirs) {
  std::vector<RunRecord> runs;
  for (const auto& dir : dirs) {
    if (!fs::is_directory(dir)) throw DataError(dir + ": no such folder");
    if (is_run_dir(dir)) {
      runs.push_back(load_run(dir));
      continue;
    }
    // A tuner's trials are runs one level down; an LR race's restarted rungs (trial_NNN/rung_N) two, and only there.
    std::vector<std::string> inside;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_directory()) continue;
      if (is_run_dir(entry.path().string())) {
        inside.push_back(entry.path().string());
        continue;
      }
      if (entry.path().filename().string().rfind("trial_", 0) != 0) continue;
      std::error_code unreadable;  // (a folder it may not read is no run of the race)
      for (fs::directory_iterator rung(entry.path(), fs::directory_options::skip_permission_denied, unreadable), end;
           !unreadable && rung != end; rung.increment(unreadable))
        if (rung->path().filename().string().rfind("rung_", 0) == 0 && is_run_dir(rung->path().string()))
          inside.push_back(rung->path().string());
    }
    if (inside.empty())
      throw DataError(dir + ": neither a run directory (config.yaml with summary.json or metrics.csv) nor a folder of them");
    std::sort(inside.begin(), inside.end());
    for (const auto& run : inside) runs.push_back(load_run(run));
  }
  // Equal folder names (trial_000 of two tunings) are told apart by their parents'.
  std::map<std::string, int> uses;
  for (const auto& r : runs) ++uses[r.name];
  for (auto& r : runs)  // (a race's rungs always: rung_8 alone says nothing of its candidate)
    if (uses[r.name] > 1 || r.name.rfind("rung_", 0) == 0) r.name = (clean(r.dir).parent_path().filename() / r.name).string();
  return runs;
}

std::vector<std::string> differing_keys(const std::vector<RunRecord>& runs) {
  std::set<std::string> keys;
  for (const auto& r : runs)
    for (const auto& [key, value] : r.config) keys.insert(key);
  std::vector<std::string> differing;
  for (const auto& key : keys) {
    if (key == "train.run_dir") continue;
    std::set<std::string> values;
    for (const auto& r : runs) {
      const auto it = r.config.find(key);
      values.insert(it == r.config.end() ? std::string("(not set)") : it->second);
    }
    if (values.size() > 1) differing.push_back(key);
  }
  return differing;
}

}  // namespace ssd::runs
