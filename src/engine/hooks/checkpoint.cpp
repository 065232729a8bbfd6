#include "ssd/engine/hooks/checkpoint.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace ssd::engine {

std::vector<std::string> remove_stale_temporaries(const std::string& run_dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  // ".<name>.tmp" beside the file it was to become (engine/checkpoint_file.h, util/text_file.h): in the run directory
  // and in its report folder.
  for (const auto& folder : {fs::path(run_dir), fs::path(run_dir) / "report"}) {
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.size() > 5 && name.front() == '.' && name.compare(name.size() - 4, 4, ".tmp") == 0 && entry.is_regular_file()) {
        fs::remove(entry.path(), ec);
        removed.push_back(folder == fs::path(run_dir) ? name : "report/" + name);
      }
    }
  }
  return removed;
}

CheckpointHook::CheckpointHook(std::string run_dir) : run_dir_(std::move(run_dir)), last_path_((fs::path(run_dir_) / "last.pt").string()) {}

void CheckpointHook::before_train(TrainContext&) {
  for (const auto& name : remove_stale_temporaries(run_dir_))
    spdlog::warn("removed {} in {}: a checkpoint write that was cut off left it (the checkpoint it was to replace is whole)", name,
                 run_dir_);
}

void CheckpointHook::after_epoch(TrainContext& c) {
  // Before the epoch's evaluation (the hooks after this one), so that a failing evaluation still leaves a checkpoint.
  c.save_checkpoint(last_path_);
  if (c.interrupted)
    spdlog::warn("interrupted at iteration {}: wrote {}; continue with --resume {}", c.position.iteration, last_path_, run_dir_);
}

// Again after a validation: last.pt carries the hooks' states it changed (best metric, schedule, early stopping).
void CheckpointHook::after_validation(TrainContext& c, const Validation&) { c.save_checkpoint(last_path_); }

}  // namespace ssd::engine
