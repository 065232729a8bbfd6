#pragma once
// Where a process stands in a run launched as several processes, read from the launcher's environment:
//   torchrun / torch.distributed.run, ssd-train --nproc, Kubeflow's PyTorchJob:
//     RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; LOCAL_RANK, LOCAL_WORLD_SIZE (PyTorchJob sets neither: 0 and 1);
//     TORCHELASTIC_USE_AGENT_STORE=True: the launcher hosts the store and every rank connects to it as a client,
//     under the prefix torch uses, /worker/attempt_<TORCHELASTIC_RESTART_COUNT>
//   Slurm (srun), when RANK is not set: SLURM_PROCID, SLURM_STEP_NUM_TASKS (srun's tasks; a batch script without srun
//     runs alone), SLURM_LOCALID, SLURM_STEP_TASKS_PER_NODE; MASTER_ADDR and MASTER_PORT are still needed (the first
//     host of SLURM_JOB_NODELIST, for example; see docs/distributed.md)
// GLOO_SOCKET_IFNAME names the network interfaces Gloo uses (comma-separated), as in PyTorch.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ssd::distributed {

struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;        ///< this process's index on its machine (its GPU on CUDA)
  int local_world_size = 1;  ///< processes on this machine (they share its cores)
  std::string master_addr;
  int master_port = 0;
  bool agent_store = false;  ///< the launcher hosts the store (torchrun's TORCHELASTIC_USE_AGENT_STORE)
  int restart_count = 0;     ///< TORCHELASTIC_RESTART_COUNT: torchrun's attempt
  std::vector<std::string> gloo_interfaces;  ///< GLOO_SOCKET_IFNAME
  std::string source;        ///< "torchrun environment" or "Slurm environment", for messages
};

using GetEnv = std::function<const char*(const char*)>;

/// The launch environment, or nullopt when the process runs alone (no RANK / WORLD_SIZE nor SLURM_STEP_NUM_TASKS > 1).
/// Throws ConfigError naming the variable for settings that cannot work: WORLD_SIZE without RANK, a rank outside the
/// world, a missing MASTER_ADDR or MASTER_PORT, a value that is not a number. `getenv` is for tests.
std::optional<LaunchEnv> read_launch_env(const GetEnv& getenv = ::getenv);

}  // namespace ssd::distributed
