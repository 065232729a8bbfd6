#pragma once
// The non-finite-loss guard (non_finite.*). A step whose loss is NaN or infinite changed nothing (train_step takes
// no backward and no step on it); the guard runs first after every step, so what it decides comes before any hook
// records the step.
//   stop (default)  the run ends with the iteration, the loss terms and the LR, naming last.pt, the last good
//                   checkpoint (no checkpoint ever holds a diverged model: engine/checkpoint.h checks every write).
//   skip            the step is counted and the run goes on; after non_finite.restore_after such steps in a row the
//                   weights and optimizer state of the last epoch end (what last.pt holds; the run's start before its
//                   first epoch ends) are restored and the LR is multiplied by non_finite.lr_factor for the rest of the
//                   run; more than non_finite.max_restores restores end the run as stop does. Weights that are not
//                   finite at an epoch's end are restored at once, before any checkpoint would be refused.
// skip keeps one copy of the weights and optimizer state in memory. Its counts and the LR factor are its checkpointed
// state, so a resumed run keeps the lowered LR. Every rank.
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssd/config/config.h"
#include "ssd/engine/hook.h"
#include "ssd/lr/controller.h"

namespace ssd::engine {

class NonFiniteLossHook : public Hook {
 public:
  NonFiniteLossHook(const config::NonFiniteConfig& config, std::shared_ptr<lr::LrController> control);
  std::string name() const override { return "non_finite_loss"; }
  bool every_rank() const override { return true; }
  void before_train(TrainContext& context) override;
  /// stop: throws std::runtime_error naming the iteration, the loss terms, the LR and last.pt.
  void after_step(TrainContext& context) override;
  void after_epoch(TrainContext& context) override;
  void after_train(TrainContext& context) override;
  std::string state() const override;
  void load_state(const std::string& state) override;

  int64_t skipped() const { return skipped_; }
  int64_t restores() const { return restores_; }

 private:
  [[noreturn]] void stop(const TrainContext& context, const std::string& why) const;
  void keep_good_state(const TrainContext& context);
  void restore(TrainContext& context, const std::string& why);

  config::NonFiniteConfig config_;
  std::shared_ptr<lr::LrController> control_;
  int64_t skipped_ = 0, in_a_row_ = 0, restores_ = 0;
  double lr_scale_ = 1.0;
  // The last good state (skip only): weights, and the optimizer's state serialised (its tensors have no generic
  // accessor across optimizers).
  std::vector<at::Tensor> good_weights_;
  std::string good_optimizer_;
  int64_t good_iteration_ = 0;
};

}  // namespace ssd::engine
