#include "ssd/engine/hooks/run_summary.h"

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "ssd/eval/evaluator.h"
#include "ssd/util/process_info.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::engine {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

RunSummaryHook::RunSummaryHook(std::string run_dir, std::vector<std::string> classes, bool writes)
    : path_((fs::path(run_dir) / "summary.json").string()), writes_(writes) {
  summary_.classes = std::move(classes);
}

void RunSummaryHook::describe_session() {
  summary_.command = util::command_line();
  summary_.version = util::build_version();
  summary_.host = util::host_name();
  summary_.cpu = util::cpu_model();
  summary_.pid = util::process_id();
  if (summary_.started.empty()) summary_.started = util::utc_timestamp();
  ++summary_.sessions;
}

void RunSummaryHook::before_train(TrainContext& c) {
  // What describes this session; what adds up over sessions came back through load_state on a resume.
  session_start_ = std::chrono::steady_clock::now();
  wall_before_ = summary_.wall_seconds;
  summary_.status = "running";
  summary_.stop_reason.clear();
  summary_.ended.clear();
  describe_session();
  summary_.device = c.device.str();
  summary_.threads = at::get_num_threads();
  summary_.processes = c.world_size;
  summary_.total_iterations = c.plan.stop_at;
  summary_.epochs = c.plan.epochs;
  started_ = true;
  update_position(c);
  write();
}

void RunSummaryHook::before_step(TrainContext&) {
  if (!last_step_end_) step_start_ = std::chrono::steady_clock::now();
}

// Training time runs from one step's end to the next (the next batch's loading included) within an epoch: the
// epoch's end (validation, checkpoints) is left out, and so is the loading of each epoch's first batch.
void RunSummaryHook::after_step(TrainContext& c) {
  const auto now = std::chrono::steady_clock::now();
  const auto since = last_step_end_ ? *last_step_end_ : step_start_.value_or(now);
  summary_.train_seconds += std::chrono::duration<double>(now - since).count();
  last_step_end_ = now;
  summary_.images += static_cast<int64_t>(c.batch->size()) * c.world_size;
}

void RunSummaryHook::after_epoch(TrainContext& c) {
  last_step_end_.reset();
  update_position(c);
  write();
}

void RunSummaryHook::after_validation(TrainContext& c, const Validation& v) {
  summary_.last_validation = v.metrics;
  const double map = v.metrics.at("val/mAP");
  if (map > summary_.best_map) {
    summary_.best_map = map;
    summary_.best_epoch = c.position.epoch;
    summary_.best_iteration = c.position.iteration;
    if (v.report) summary_.best_class_ap = v.report->voc.ap;
  }
  update_position(c);
  write();
}

void RunSummaryHook::after_train(TrainContext& c) {
  update_position(c);
  if (c.interrupted) summary_.status = "stopped", summary_.stop_reason = "interrupted (SIGINT or SIGTERM); --resume continues it";
  else if (!c.stop_reason.empty()) summary_.status = "stopped", summary_.stop_reason = c.stop_reason;
  else summary_.status = "finished";
  summary_.ended = util::utc_timestamp();
  write();
}

void RunSummaryHook::fail(const std::string& message) {
  if (!writes_) return;
  if (!started_) {
    // Before the loop began: the sessions before this one (a resume) keep their figures.
    if (fs::is_regular_file(path_)) {
      try {
        const auto classes = summary_.classes;
        summary_ = parse_run_summary(util::read_text_file(path_), path_);
        if (summary_.classes.empty()) summary_.classes = classes;
      } catch (const std::exception&) {
        // not readable: a new summary
      }
    }
    describe_session();
  } else {
    summary_.wall_seconds = wall_before_ + seconds_since(session_start_);
  }
  summary_.status = "failed";
  summary_.stop_reason = message;
  summary_.ended = util::utc_timestamp();
  write();
}

void RunSummaryHook::update_position(const TrainContext& c) {
  summary_.iterations = c.position.iteration;
  summary_.epochs_done = c.plan.iters_per_epoch > 0
                             ? static_cast<double>(c.position.iteration) / static_cast<double>(c.plan.iters_per_epoch)
                             : 0.0;
  summary_.wall_seconds = wall_before_ + seconds_since(session_start_);
}

void RunSummaryHook::write() {
  if (!writes_) return;
  try {
    util::write_text_file(path_, to_json(summary_));
  } catch (const std::exception& e) {
    spdlog::warn("could not write {}: {}", path_, e.what());
  }
}

std::string RunSummaryHook::state() const {
  RunSummary s = summary_;
  if (started_) s.wall_seconds = wall_before_ + seconds_since(session_start_);
  return to_json(s);
}

void RunSummaryHook::load_state(const std::string& state) {
  const auto classes = summary_.classes;
  summary_ = parse_run_summary(state, "the checkpoint's run summary");
  summary_.classes = classes;
}

}  // namespace ssd::engine
