#pragma once
// The table of `ssd-runs list` (and the head of the compare page): one row per run with its status, epochs, best
// mAP and where it was reached, wall time, throughput, and the config keys that differ between the runs listed.
#include <string>
#include <vector>

#include "ssd/runs/run_record.h"

namespace ssd::runs {

struct RunTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  ///< one per run, in the runs' order
  size_t fixed_columns = 0;                    ///< the columns before the differing config keys
  std::vector<std::string> keys_left_out;      ///< differing keys beyond max_key_columns
};

/// `max_key_columns`: the differing keys shown as columns (0: all of them).
RunTable run_table(const std::vector<RunRecord>& runs, size_t max_key_columns = 0);

/// Aligned columns for a terminal, with a line naming the differing keys left out.
std::string format_text(const RunTable& table);

/// The per-class VOC all-point AP at each run's best validation: classes down (every class of any run), runs across.
struct ClassApTable {
  std::vector<std::string> classes;
  std::vector<std::vector<double>> ap;  ///< [class][run]; NaN where a run has no figure for the class
  bool empty() const { return classes.empty(); }
};
ClassApTable class_ap_table(const std::vector<RunRecord>& runs);
/// Aligned text of it, each run's column headed by its name.
std::string format_text(const ClassApTable& table, const std::vector<RunRecord>& runs);

/// "42 s", "9 min 58 s", "3 h 07 min"; "-" for NaN.
std::string duration_text(double seconds);

}  // namespace ssd::runs
