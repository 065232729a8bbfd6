#pragma once
// ssd-train --plot-lr: the LR (and momentum where it moves) of every iteration of a run, from the config alone.
#include <string>

#include "ssd/lr/controller.h"

namespace ssd::lr {

/// path ending in .csv: iteration, epoch, lr per group, momentum; otherwise a PNG with every phase boundary and the
/// run's end marked. Reduce-on-plateau cannot be previewed (it waits for validations): the plot says so.
void write_lr_preview(const LrController& control, const std::vector<std::string>& group_names, const std::string& path);

}  // namespace ssd::lr
