#pragma once
// The training loop: batches -> steps, and the hooks at fixed points (engine/hook.h). It knows nothing of learning
// rates, logs, checkpoints or evaluation; those are hooks. Trainer (engine/trainer.h) builds a run's parts and its
// hooks and runs this loop; the LR range test (range_test/) and the tuner run it with hooks of their own.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ssd/engine/hook.h"

namespace ssd::engine {

class TrainLoop {
 public:
  using StepFunction = std::function<StepLoss(const data::Batch&)>;

  /// context: the model, optimizer and loader the steps work on, the plan and the starting position.
  TrainLoop(TrainContext context, StepFunction step, std::vector<std::shared_ptr<Hook>> hooks);
  // The context's publish_validation calls back into this loop: it stays where it was built.
  TrainLoop(const TrainLoop&) = delete;
  TrainLoop& operator=(const TrainLoop&) = delete;

  /// Runs from the context's position to the plan's end, or until a hook asks it to stop or a signal interrupts it.
  void run();

  /// The position and every hook's state from a checkpoint (a hook whose state the checkpoint lacks keeps its own).
  void restore(const LoopPosition& position, const std::map<std::string, std::string>& hook_states);
  /// Every hook's state by name, for a checkpoint.
  std::map<std::string, std::string> hook_states() const;

  TrainContext& context() { return context_; }
  const TrainContext& context() const { return context_; }

  /// Set from a signal handler (install_stop_signal_handlers): the loop stops after the current step.
  static std::atomic<bool>& stop_requested();

 private:
  void run_epoch();
  /// After every step and epoch: whether to stop, the same in every process of a distributed run.
  void agree_on_stop(bool signal);
  /// `flag` in this process, or in any process of a distributed run.
  bool any_process(bool flag, const std::string& what) const;
  void share_batch_norm_statistics();
  template <typename Call>
  void for_each_hook(const Call& call);

  TrainContext context_;
  StepFunction step_;
  std::vector<std::shared_ptr<Hook>> hooks_;
};

/// Installs SIGINT / SIGTERM handlers that set TrainLoop::stop_requested(): the run writes last.pt and ends; a second
/// signal ends the process at once.
void install_stop_signal_handlers();

}  // namespace ssd::engine
