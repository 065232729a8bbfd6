#pragma once
// `ssd-runs compare`: the runs side by side, as one self-contained HTML page (charts drawn by the uPlot library the
// program carries, figures embedded, no network needed) and as PNGs for a terminal.
#include <string>
#include <vector>

#include "ssd/runs/run_record.h"

namespace ssd::runs {

/// The page: the runs' table, the config keys that differ (highlighted), LR, loss (total, localisation,
/// classification) and validation curves of every run overlaid against iterations or wall time, the per-class AP
/// side by side, and each run's range-test and LR-race figures and a tuner's leaderboard where present.
void write_compare_page(const std::vector<RunRecord>& runs, const std::string& html_path);

/// compare_iterations.png and compare_time.png in `dir` (the same curves against iterations and wall time);
/// returns their paths.
std::vector<std::string> write_compare_figures(const std::vector<RunRecord>& runs, const std::string& dir);

}  // namespace ssd::runs
