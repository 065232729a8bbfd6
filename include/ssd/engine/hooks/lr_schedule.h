#pragma once
// The learning rate: before every step the LR controller writes the LRs (and momentum) of that step into the
// optimizer; after a validation it feeds reduce-on-plateau. Its state (plateau's) is checkpointed. Every rank.
#include <memory>

#include "ssd/engine/hook.h"
#include "ssd/lr/controller.h"

namespace ssd::engine {

class LrScheduleHook : public Hook {
 public:
  explicit LrScheduleHook(std::shared_ptr<lr::LrController> control);
  std::string name() const override { return "lr_schedule"; }
  bool every_rank() const override { return true; }
  void before_step(TrainContext& context) override;
  void after_validation(TrainContext& context, const Validation& validation) override;
  std::string state() const override { return control_->state(); }
  void load_state(const std::string& state) override { control_->load_state(state); }

 private:
  std::shared_ptr<lr::LrController> control_;
};

}  // namespace ssd::engine
