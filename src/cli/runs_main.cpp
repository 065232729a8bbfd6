// ssd-runs: run directories side by side. list: a table of runs; compare: one HTML page (and PNGs) with their curves
// overlaid, the config keys that differ, per-class AP and the LR figures of each.
#include <filesystem>
#include <iostream>

#include "cli/common.h"
#include "ssd/runs/compare.h"
#include "ssd/runs/run_table.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  CLI::App app{"ssd-runs: training runs side by side.\n\n"
               "Examples:\n"
               "  ssd-runs list runs/                                   # every run directory in runs/\n"
               "  ssd-runs list runs/tune                               # a tuner's trials\n"
               "  ssd-runs compare runs/a runs/b --out compare.html     # one page: curves, config differences, AP per class\n\n"
               "A run directory is what ssd-train writes (train.run_dir): config.yaml, metrics.csv, summary.json (the command,\n"
               "version, machine, times, status and best validation).",
               "ssd-runs"};
  app.require_subcommand(1);
  std::vector<std::string> list_dirs, compare_dirs;
  auto* list = app.add_subcommand(
      "list",
      "A table of runs: name, status (running, finished, stopped, failed; died: marked running, its process gone), epochs\n"
      "done, the best VOC all-point mAP and the epoch it came at, wall time, training images per second, and the config\n"
      "keys whose values differ between the runs listed.");
  list->add_option("DIR", list_dirs, "Run directories, or folders holding them (one level down)")->required();
  size_t key_columns = 6;
  list->add_option("--keys", key_columns, "Differing config keys shown as columns (0: all; the others are named below)")->capture_default_str();
  auto* compare = app.add_subcommand(
      "compare",
      "One self-contained HTML page (no network needed: the chart library is inlined, figures embedded): the runs' table,\n"
      "the config keys that differ (highlighted), the LR, loss (total, localisation, classification) and validation mAP\n"
      "and loss of every run overlaid against iterations or wall time, AP per class side by side, and each run's range\n"
      "test and LR race figures and a tuner's leaderboard where present. The same curves as PNGs beside the page.");
  compare->add_option("RUN", compare_dirs, "Run directories, or folders holding them")->required();
  std::string out = "compare.html", png_dir;
  compare->add_option("--out", out, "The page")->capture_default_str();
  compare->add_option("--png-dir", png_dir, "Folder for compare_iterations.png and compare_time.png (default: the page's folder)");
  return ssd::cli::run_tool("ssd-runs", app, argc, argv, [&] {
    if (list->parsed()) {
      const auto runs = ssd::runs::find_runs(list_dirs);
      std::cout << ssd::runs::format_text(ssd::runs::run_table(runs, key_columns));
      return 0;
    }
    const auto runs = ssd::runs::find_runs(compare_dirs);
    const fs::path page = fs::path(out);
    if (page.has_parent_path()) fs::create_directories(page.parent_path());
    ssd::runs::write_compare_page(runs, out);
    const auto pngs = ssd::runs::write_compare_figures(runs, png_dir.empty() ? (page.has_parent_path() ? page.parent_path().string() : ".") : png_dir);
    std::cout << ssd::runs::format_text(ssd::runs::run_table(runs, key_columns));
    const auto ap = ssd::runs::class_ap_table(runs);
    if (!ap.empty()) std::cout << "\nAP per class at each run's best validation (VOC all-point):\n" << ssd::runs::format_text(ap, runs);
    std::cout << "\nwrote " << out;
    for (const auto& png : pngs) std::cout << ", " << png;
    std::cout << "\n";
    return 0;
  });
}
