#pragma once
// Rendezvous and process group: from a launch environment (distributed/launch_env.h) and distributed.*, the
// Communicator of this process. The store is torch's TCPStore (rank 0 hosts it, or the launcher does under torchrun);
// the collectives run on ProcessGroupGloo or ProcessGroupNCCL, as in PyTorch's init_process_group("env://").
#include <memory>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/distributed/communicator.h"
#include "ssd/distributed/launch_env.h"

namespace ssd::distributed {

/// Connects to the other processes: waits at most distributed.rendezvous_timeout_s for all of them. Throws ConfigError for a
/// backend this LibTorch lacks (NCCL without CUDA) and std::runtime_error naming the address when the rendezvous fails.
std::shared_ptr<Communicator> connect(const LaunchEnv& env, const config::DistributedConfig& config, c10::Device device);

/// A process that runs alone.
std::shared_ptr<Communicator> alone();

/// Threads of one process when `local_world_size` processes share this machine's cores: their fair share.
int threads_per_process(int local_world_size);

}  // namespace ssd::distributed
