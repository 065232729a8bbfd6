#include "ssd/engine/hooks/periodic_checkpoint.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "ssd/engine/checkpoint.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::engine {

PeriodicCheckpointHook::PeriodicCheckpointHook(std::string run_dir, int64_t period) : run_dir_(std::move(run_dir)), period_(period) {}

void PeriodicCheckpointHook::write(int64_t epoch) const {
  const std::string last = (fs::path(run_dir_) / "last.pt").string();
  const std::string path = (fs::path(run_dir_) / ("epoch_" + std::to_string(epoch) + ".pt")).string();
  const std::string tmp = temporary_checkpoint_path(path);
  std::error_code ec;
  fs::copy_file(last, tmp, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(tmp, path, ec);  // atomic: epoch_N.pt is whole or absent
  if (ec) {
    fs::remove(tmp, ec);
    throw CheckpointError(path + ": cannot write the periodic checkpoint (a copy of " + last + "): " + ec.message());
  }
}

void PeriodicCheckpointHook::before_train(TrainContext& c) {
  const auto& at = c.position;
  // A run killed between last.pt and epoch_N.pt resumes at the end of epoch N: write what it did not.
  if (period_ > 0 && at.epoch > 0 && at.batch_in_epoch == 0 && at.epoch % period_ == 0 &&
      !fs::exists(fs::path(run_dir_) / ("epoch_" + std::to_string(at.epoch) + ".pt"))) {
    write(at.epoch);
    spdlog::info("wrote epoch_{}.pt, which the run before the resume did not get to", at.epoch);
  }
}

void PeriodicCheckpointHook::after_epoch(TrainContext& c) {
  if (!c.epoch_finished || period_ <= 0 || c.position.epoch % period_ != 0) return;
  write(c.position.epoch);
}

}  // namespace ssd::engine
