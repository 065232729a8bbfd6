#include "ssd/distributed/connect.h"

#include <spdlog/spdlog.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
// NCCL: in LibTorch's CUDA builds; its header needs nccl.h, which a LibTorch unpacked from a PyTorch wheel may lack
// (then NCCL is reported as missing, and Gloo still works on CUDA tensors).
#if defined(USE_C10D_NCCL) && __has_include(<nccl.h>)
#define SSD_WITH_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <thread>

#include "group.h"
#include "ssd/util/error.h"

namespace ssd::distributed {

namespace {

std::string backend_for(const std::string& configured, c10::Device device) {
#ifdef SSD_WITH_NCCL
  const bool have_nccl = true;
#else
  const bool have_nccl = false;
#endif
  if (configured == "auto") return device.is_cuda() && have_nccl ? "nccl" : "gloo";
  if (configured == "nccl" && !have_nccl)
    throw ConfigError("distributed.backend: nccl is not in this build (it needs a LibTorch built with CUDA, and nccl.h); use gloo");
  if (configured == "nccl" && !device.is_cuda()) throw ConfigError("distributed.backend: nccl needs runtime.device cuda; the run is on " + device.str());
  return configured;
}

// The store the processes meet at: torchrun's own (its agent hosts it), else one that rank 0 hosts.
c10::intrusive_ptr<c10d::Store> open_store(const LaunchEnv& env, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.timeout = timeout;
  if (env.agent_store) {
    options.isServer = false;
    options.waitWorkers = false;
    auto store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
    return c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::to_string(env.restart_count), store);
  }
  options.isServer = env.rank == 0;
  options.numWorkers = static_cast<size_t>(env.world_size);
  options.waitWorkers = true;
  return c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
}

c10::intrusive_ptr<Collectives> gloo_group(const c10::intrusive_ptr<c10d::Store>& store, const LaunchEnv& env,
                                           std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  if (env.gloo_interfaces.empty()) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  } else {
    for (const auto& name : env.gloo_interfaces) {
      try {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
      } catch (const std::exception& e) {
        throw ConfigError("GLOO_SOCKET_IFNAME: cannot use the network interface '" + name + "': " + reason_of(e));
      }
    }
  }
  options->threads = 2;
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, options);
}

#ifdef SSD_WITH_NCCL
c10::intrusive_ptr<Collectives> nccl_group(const c10::intrusive_ptr<c10d::Store>& store, const LaunchEnv& env,
                                           std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, options);
}
#endif

}  // namespace

std::shared_ptr<Communicator> alone() { return std::make_shared<Communicator>(); }

int threads_per_process(int local_world_size) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, local_world_size));
}

Rendezvous::Rendezvous(const LaunchEnv& env, double timeout_s)
    : env_(env), timeout_s_(timeout_s), group_(std::make_shared<Communicator::Group>()) {
  const auto meeting = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  spdlog::info("rank {} of {} ({}): meeting the other processes at {} (waiting at most {} s: distributed.rendezvous_timeout_s)",
               env.rank, env.world_size, env.source, where, timeout_s);
  try {
    group_->store = c10::make_intrusive<c10d::PrefixStore>("ssd", open_store(env, meeting));
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env.rank) + ": cannot meet the other processes at " + where +
                             " (MASTER_ADDR, MASTER_PORT): " + reason_of(e));
  }
}

void Rendezvous::publish(const std::string& key, const std::string& text) const {
  group_->store->set("message/" + key, std::vector<uint8_t>(text.begin(), text.end()));
  // Rank 0 may host the store and leave right after (a message that says it failed): it waits until every process has
  // read the message, so that none finds the store gone instead.
  std::vector<std::string> read;
  for (int r = 1; r < env_.world_size; ++r) read.push_back("message/" + key + "/read/" + std::to_string(r));
  try {
    group_->store->wait(read);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank 0: not every process read " + key + " within " + std::to_string(static_cast<int64_t>(timeout_s_)) +
                             " s (distributed.rendezvous_timeout_s): " + reason_of(e));
  }
}

std::string Rendezvous::wait_for(const std::string& key) const {
  try {
    const auto bytes = group_->store->get("message/" + key);
    group_->store->set("message/" + key + "/read/" + std::to_string(env_.rank), std::vector<uint8_t>{1});
    return {bytes.begin(), bytes.end()};
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env_.rank) + ": no word from rank 0 about " + key + " within " +
                             std::to_string(static_cast<int64_t>(timeout_s_)) + " s (distributed.rendezvous_timeout_s): " + reason_of(e));
  }
}

std::shared_ptr<Communicator> connect(const Rendezvous& meeting, const config::DistributedConfig& config, c10::Device device) {
  const LaunchEnv& env = meeting.env_;
  const std::string backend = backend_for(config.backend, device);
  if (config.backend == "auto" && device.is_cuda() && backend != "nccl")
    spdlog::warn("distributed.backend auto: this build has no NCCL (it needs a LibTorch built with CUDA, and nccl.h): Gloo on CUDA "
                 "tensors instead, slower");
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(config.timeout_s * 1000));
  const auto wait = std::chrono::milliseconds(static_cast<int64_t>(config.rendezvous_timeout_s * 1000));
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  auto group = meeting.group_;
  try {
    // The process group's own rendezvous (its address exchange) waits for every process too.
    group->store->setTimeout(wait);
#ifdef SSD_WITH_NCCL
    group->collectives = backend == "nccl" ? nccl_group(group->store, env, timeout) : gloo_group(group->store, env, timeout);
#else
    group->collectives = gloo_group(group->store, env, timeout);
#endif
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env.rank) + ": cannot connect the " + backend + " process group through " + where +
                             ": " + reason_of(e));
  }
  group->store->setTimeout(timeout);
  const c10::Device collective_device = backend == "nccl" ? device : c10::Device(c10::kCPU);
  return std::make_shared<Communicator>(group, env.rank, env.world_size, backend, collective_device);
}

std::shared_ptr<Communicator> connect(const LaunchEnv& env, const config::DistributedConfig& config, c10::Device device) {
  if (env.world_size <= 1) return alone();
  backend_for(config.backend, device);  // a backend this build lacks fails before any waiting
  return connect(Rendezvous(env, config.rendezvous_timeout_s), config, device);
}

}  // namespace ssd::distributed
