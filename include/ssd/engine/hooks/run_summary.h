#pragma once
// summary.json (engine/run_summary.h): written when the run starts (status running), after each epoch and each
// validation, and at its end (finished or stopped); Trainer marks it failed when the run ends in an error, also one
// before the loop began (the data, the checkpoint). Its state in the checkpoint carries what adds up over sessions
// (wall and training time, images, the best validation), so a resumed run goes on counting. The first hook of a run.
#include <chrono>
#include <optional>
#include <string>

#include "ssd/engine/hook.h"
#include "ssd/engine/run_summary.h"

namespace ssd::engine {

class RunSummaryHook : public Hook {
 public:
  /// writes: this process writes the run directory (rank 0).
  RunSummaryHook(std::string run_dir, std::vector<std::string> classes, bool writes);
  std::string name() const override { return "run_summary"; }
  void before_train(TrainContext& context) override;
  void before_step(TrainContext& context) override;
  void after_step(TrainContext& context) override;
  void after_epoch(TrainContext& context) override;
  void after_validation(TrainContext& context, const Validation& validation) override;
  void after_train(TrainContext& context) override;
  /// Records the error that ended the run (status failed) and writes the file. Before before_train, the summary is
  /// the one of the sessions before (a resume) or a new one.
  void fail(const std::string& message);
  std::string state() const override;
  void load_state(const std::string& state) override;

 private:
  void update_position(const TrainContext& context);
  void describe_session();  ///< command line, version, host, CPU, pid: this process's
  /// Writes summary.json; a failure to write is logged, never fatal (the run matters more than its record).
  void write();
  std::string path_;
  bool writes_;
  RunSummary summary_;
  bool started_ = false;
  double wall_before_ = 0;  ///< wall_seconds of the sessions before this one
  std::chrono::steady_clock::time_point session_start_;
  std::optional<std::chrono::steady_clock::time_point> step_start_, last_step_end_;
};

}  // namespace ssd::engine
