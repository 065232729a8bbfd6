#pragma once
// A hook: one concern of a training run (the LR, progress, checkpoints, evaluation, early stopping ...) called by the
// loop at fixed points. The loop itself only runs steps (engine/loop.h); everything else is a hook, in its own file
// under engine/hooks/, and the range test and the tuner run the same loop with hooks of their own.
//
// The points, per run:
//   before_train                       once; after a resume every hook has its state back already
//   per epoch: per step: before_step, the step, after_step; then after_epoch (also after a pass cut short)
//   after_validation                   whenever a hook publishes a validation (TrainContext::publish_validation)
//   after_train                        once, also after a stop
// Hooks run in the order of the list they are given, at every point (Trainer::default_hooks writes the order down
// with its reasons). Each hook saves and restores its own state through the checkpoint (state / load_state, under
// its name), so exact resume needs no central record of every field.
#include <string>

#include "ssd/engine/train_context.h"

namespace ssd::engine {

class Hook {
 public:
  virtual ~Hook() = default;
  /// Names the hook's state in checkpoints ("hooks/<name>") and in logs; unique within a run.
  virtual std::string name() const = 0;
  /// False (most hooks): in a distributed run only rank 0 calls it (console, files). True: every rank (the LR, the
  /// loss guard), as what it does must happen in every process.
  virtual bool every_rank() const { return false; }
  /// True: the run's validations also give each image's share of the validation loss (EvalReport::image_losses, what
  /// a bootstrap of the loss resamples: the tuner's); they cost a loss per image, so only a hook that reads them asks.
  virtual bool needs_image_losses() const { return false; }

  virtual void before_train(TrainContext&) {}
  virtual void before_step(TrainContext&) {}
  virtual void after_step(TrainContext&) {}
  virtual void after_epoch(TrainContext&) {}
  virtual void after_validation(TrainContext&, const Validation&) {}
  virtual void after_train(TrainContext&) {}

  /// The hook's state for a checkpoint ("" = nothing to keep), and its restoration on resume.
  virtual std::string state() const { return ""; }
  virtual void load_state(const std::string& /*state*/) {}
};

}  // namespace ssd::engine
