#pragma once
// One versioned archive per checkpoint: meta (format version, LibTorch version, resolved config), the loop's
// position, every hook's own state (hooks/<name>), model and optimizer. Written atomically and sealed with its
// SHA-256, which every read checks first (engine/checkpoint_file.h): a crash, kill or full disk at any moment leaves
// the previous checkpoint whole, and a damaged file is refused instead of loading changed weights.
#include <map>
#include <string>

#include <torch/optim/optimizer.h>

#include "ssd/engine/train_context.h"
#include "ssd/model/ssd.h"

namespace ssd::engine {

/// Everything beyond model and optimizer that an exact resume needs.
struct CheckpointState {
  LoopPosition position;
  int64_t total_iters = 0;  ///< the run's length when written (a resumed run with more epochs is extended)
  std::string config_yaml;  ///< the resolved config of the run
  std::map<std::string, std::string> hooks;  ///< each hook's state by hook name (engine/hook.h)
};

/// 3: hook states under hooks/<name>, the file sealed. Format 2 (the same, unsealed) and format 1 (best metric,
/// schedule, early-stopping and loss-scale state as state/* entries; unsealed) still read; format 1's entries become
/// the hooks' states.
constexpr int64_t kCheckpointFormat = 3;

/// A checkpoint's bytes in memory, with the file they were read from (its name in messages). What a distributed resume
/// hands from rank 0, which reads the file, to the other processes, which may not see it. Readers check the seal first.
struct CheckpointBytes {
  std::string name;
  std::string bytes;
};

/// Reads a checkpoint file whole. Throws CheckpointError naming it when it is missing or cannot be read.
CheckpointBytes read_checkpoint_file(const std::string& path);

/// Writes model (+ optimizer when given) + state to `path` atomically. Throws CheckpointError, also before writing
/// anything when a weight or optimizer-state value is NaN or infinite.
void save_checkpoint(const std::string& path, model::Ssd& model, torch::optim::Optimizer* optimizer, const CheckpointState& state);

/// The state and config stored in a checkpoint, without touching any model. Throws CheckpointError naming
/// the file and the reason (missing, truncated, damaged, not a checkpoint, other format version).
CheckpointState read_checkpoint_state(const std::string& path);
CheckpointState read_checkpoint_state(const CheckpointBytes& checkpoint);

/// Loads the weights (and the optimizer state when given) into objects built from the checkpoint's config.
/// Throws CheckpointError when a tensor is missing or has another shape.
void load_checkpoint(const std::string& path, model::Ssd& model, torch::optim::Optimizer* optimizer);
void load_checkpoint(const CheckpointBytes& checkpoint, model::Ssd& model, torch::optim::Optimizer* optimizer);

/// A checkpoint file from a path that is a checkpoint or a run directory (then its last.pt).
std::string resolve_checkpoint_path(const std::string& path);

/// The checkpoint --resume continues from. A file: itself. A run directory: its last.pt, or when that does not read
/// (damaged, torn, missing), the newest of its other checkpoints (epoch_N.pt, best.pt) that does, with a warning that
/// names what was passed over and why. Throws CheckpointError when none reads.
std::string resume_checkpoint(const std::string& path);

}  // namespace ssd::engine
