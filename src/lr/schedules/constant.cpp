#include "ssd/lr/schedules/constant.h"

namespace ssd::lr {

ScheduleEntry constant_schedule() {
  return {"constant", "lr = base",
          [](const config::ScheduleConfig&, const BuildContext&) -> std::unique_ptr<Schedule> { return std::make_unique<ConstantSchedule>(); },
          {}};
}

}  // namespace ssd::lr
