#pragma once
// metrics.csv of a run (one row per logged step and per validation) and the training.png drawn from it.
// Columns: kind (train | val), iteration, epoch, lr, loss, loss_loc, loss_conf, img_per_s, data_wait,
// map_voc, map_voc07, time_s; a row leaves the columns of the other kind empty (a val row's loss is the validation
// loss). time_s: seconds since the run started, over all its sessions (files of earlier versions leave it out).
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ssd::engine {

class MetricsLog {
 public:
  /// append: keep the rows already in the file up to iteration `keep_until` (a resumed run: rows written after
  /// its checkpoint by a run that was killed are dropped, since they will be written again, and so are lines that are
  /// not whole rows, with a warning), else start anew. The file is rewritten whole or not at all (util/text_file.h).
  MetricsLog(std::string path, bool append, int64_t keep_until = 0);
  void add_train_row(int64_t iteration, int64_t epoch, double lr, double loss_loc, double loss_conf, double images_per_second,
                     double data_wait_share, double time_s);
  /// val_loss: NaN when not computed (the loss column stays empty).
  void add_val_row(int64_t iteration, int64_t epoch, double map_voc, double map_voc07, double val_loss, double time_s);
  /// Loss, LR and mAP panels against the iteration; `boundaries` (schedule phases) drawn as dashed lines.
  void plot(const std::string& png_path, const std::vector<int64_t>& boundaries) const;

  struct Row {
    std::string kind;
    double iteration = 0, epoch = 0, lr = 0, loss_loc = 0, loss_conf = 0, ips = 0, wait = 0, map_voc = 0, map_voc07 = 0, val_loss = std::nan("");
    double time_s = std::nan("");  ///< NaN in files without the column
  };
  const std::vector<Row>& rows() const { return rows_; }
  /// The rows of an existing metrics.csv, in file order (lines that are not rows left out); empty without the file.
  static std::vector<Row> read(const std::string& path);

 private:
  static std::optional<Row> parse_row(const std::string& line);
  void append_line(const Row& row);
  std::string path_;
  std::vector<Row> rows_;
};

}  // namespace ssd::engine
