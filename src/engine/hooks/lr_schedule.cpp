#include "ssd/engine/hooks/lr_schedule.h"

namespace ssd::engine {

LrScheduleHook::LrScheduleHook(std::shared_ptr<lr::LrController> control) : control_(std::move(control)) {}

// The LR of the step about to be taken: the schedule's t is the number of steps already taken.
void LrScheduleHook::before_step(TrainContext& c) { control_->apply(*c.optimizer, c.position.iteration); }

void LrScheduleHook::after_validation(TrainContext& c, const Validation& v) { control_->on_validation(v.metrics, c.position.iteration); }

}  // namespace ssd::engine
