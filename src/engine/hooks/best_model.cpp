#include "ssd/engine/hooks/best_model.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "ssd/eval/coco_eval.h"
#include "ssd/eval/evaluator.h"
#include "ssd/eval/report.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::engine {

BestModelHook::BestModelHook(std::string run_dir, std::vector<std::string> classes, std::string config_yaml, std::string data_description)
    : run_dir_(std::move(run_dir)), classes_(std::move(classes)), config_yaml_(std::move(config_yaml)),
      data_description_(std::move(data_description)) {}

void BestModelHook::after_validation(TrainContext& c, const Validation& v) {
  const double map = v.metrics.at("val/mAP");
  if (!(map > best_)) return;
  best_ = map;
  best_epoch_ = c.position.epoch;
  const std::string path = (fs::path(run_dir_) / "best.pt").string();
  c.save_checkpoint(path);
  spdlog::info("new best mAP {:.4f}: wrote {}", best_, path);
  write_report(c, v);
}

void BestModelHook::write_report(const TrainContext& c, const Validation& v) const {
  // The report follows the best checkpoint: rewritten at each new best, so the run ends with the best one's.
  try {
    eval::ReportOptions options;
    options.title = fmt::format("{} (epoch {}) on {}", (fs::path(run_dir_) / "best.pt").string(), c.position.epoch, data_description_);
    options.config_yaml = config_yaml_;
    const auto& r = *v.report;
    const eval::AllMetrics metrics{r.voc07, r.voc, eval::evaluate_coco(r.ground_truth, r.detections, static_cast<int64_t>(classes_.size()))};
    const auto html = eval::write_report((fs::path(run_dir_) / "report").string(), r.ground_truth, r.detections, classes_, metrics, options);
    spdlog::info("evaluation report: {}", html);
  } catch (const std::exception& e) {
    spdlog::warn("could not write the evaluation report: {}", e.what());  // a plot is never worth the run
  }
}

std::string BestModelHook::state() const {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%.17g %lld", best_, static_cast<long long>(best_epoch_));
  return buf;
}

void BestModelHook::load_state(const std::string& state) {
  std::istringstream in(state);
  std::string best;
  long long epoch = -1;
  in >> best >> epoch;
  if (in.fail()) throw CheckpointError("best-model state '" + state + "' is not readable");
  best_ = std::strtod(best.c_str(), nullptr);  // reads inf and nan, which operator>> does not
  best_epoch_ = epoch;
}

}  // namespace ssd::engine
