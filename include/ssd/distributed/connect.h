#pragma once
// Rendezvous and process group: from a launch environment (distributed/launch_env.h) and distributed.*, the
// Communicator of this process. The store is torch's TCPStore (rank 0 hosts it, or the launcher does under torchrun);
// the collectives run on ProcessGroupGloo or ProcessGroupNCCL, as in PyTorch's init_process_group("env://").
#include <memory>
#include <string>

#include <c10/core/Device.h>

#include "ssd/config/config.h"
#include "ssd/distributed/communicator.h"
#include "ssd/distributed/launch_env.h"

namespace ssd::distributed {

/// Where the processes meet before their process group exists: the store. It also carries the few messages that must
/// reach every process before it knows its config (a distributed resume's, which rank 0 alone reads).
class Rendezvous {
 public:
  /// Meets every other process: waits at most `timeout_s` (distributed.rendezvous_timeout_s) for all of them. Throws
  /// std::runtime_error naming the address when they do not come.
  Rendezvous(const LaunchEnv& env, double timeout_s);

  const LaunchEnv& env() const { return env_; }
  /// Rank 0: makes `text` the value of `key` for every process, and returns once every process has read it.
  void publish(const std::string& key, const std::string& text) const;
  /// The value rank 0 publishes under `key`, once it has: waits at most the rendezvous timeout.
  std::string wait_for(const std::string& key) const;

 private:
  friend std::shared_ptr<Communicator> connect(const Rendezvous&, const config::DistributedConfig&, c10::Device);
  LaunchEnv env_;
  double timeout_s_;
  std::shared_ptr<Communicator::Group> group_;  ///< the store alone until connect() adds the process group
};

/// The process group on a rendezvous: waits at most distributed.rendezvous_timeout_s for every process. Throws
/// ConfigError for a backend this LibTorch lacks (NCCL without CUDA) and std::runtime_error naming the address when
/// the processes cannot connect.
std::shared_ptr<Communicator> connect(const Rendezvous& meeting, const config::DistributedConfig& config, c10::Device device);

/// Both steps: the rendezvous, then the process group (alone when the launch has one process).
std::shared_ptr<Communicator> connect(const LaunchEnv& env, const config::DistributedConfig& config, c10::Device device);

/// A process that runs alone.
std::shared_ptr<Communicator> alone();

/// Threads of one process when `local_world_size` processes share this machine's cores: their fair share.
int threads_per_process(int local_world_size);

}  // namespace ssd::distributed
