#include "ssd/engine/hooks/periodic_checkpoint.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace ssd::engine {

PeriodicCheckpointHook::PeriodicCheckpointHook(std::string run_dir, int64_t period) : run_dir_(std::move(run_dir)), period_(period) {}

void PeriodicCheckpointHook::write(TrainContext& c) const {
  c.save_checkpoint((fs::path(run_dir_) / ("epoch_" + std::to_string(c.position.epoch) + ".pt")).string());
}

void PeriodicCheckpointHook::before_train(TrainContext& c) {
  const auto& at = c.position;
  // A run killed between last.pt and epoch_N.pt resumes at the end of epoch N: write what it did not (also what a resume
  // into another run_dir, or with another checkpoint_period, finds missing).
  if (period_ > 0 && at.epoch > 0 && at.batch_in_epoch == 0 && at.epoch % period_ == 0 &&
      !fs::exists(fs::path(run_dir_) / ("epoch_" + std::to_string(at.epoch) + ".pt"))) {
    write(c);
    spdlog::info("wrote epoch_{}.pt (the resumed state, at the end of epoch {}), which {} did not have", at.epoch, at.epoch, run_dir_);
  }
}

void PeriodicCheckpointHook::after_epoch(TrainContext& c) {
  if (!c.epoch_finished || period_ <= 0 || c.position.epoch % period_ != 0) return;
  write(c);
}

}  // namespace ssd::engine
