#pragma once
// The config of a training run: --config with --set, or for --resume the checkpoint's own config with --set on top.
// In a distributed resume rank 0 alone reads the checkpoint and hands the others its config through the rendezvous
// (and later, in the trainer, its bytes), so that only rank 0 needs to see the file.
#include <string>

#include "cli/common.h"
#include "ssd/config/config.h"
#include "ssd/distributed/connect.h"

namespace ssd::cli {

/// --config and --set, or for a resume the config stored in `checkpoint` (a file) with --set on top, continuing where
/// the checkpoint lies now unless --set names train.run_dir.
config::Config load_train_config(const CommonOptions& options, const std::string& checkpoint);

/// How long the processes of a distributed resume wait for each other before they know the stored config:
/// --set distributed.rendezvous_timeout_s, else its default.
double rendezvous_timeout_s(const CommonOptions& options);

/// What a process of a distributed resume starts from: the checkpoint rank 0 chose (engine::resume_checkpoint of its
/// --resume) and the config, rank 0's stored config with this process's --set on top.
struct DistributedResume {
  std::string checkpoint;
  config::Config config;
};

/// Rank 0 reads `resume` and publishes what it found, or why it failed; the others wait for it (at most the
/// rendezvous timeout). A failure in rank 0 is thrown in every process, of the same kind, naming rank 0.
DistributedResume resume_through_rank0(const CommonOptions& options, const std::string& resume, const distributed::Rendezvous& meeting);

}  // namespace ssd::cli
