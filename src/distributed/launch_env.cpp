#include "ssd/distributed/launch_env.h"

#include <cerrno>
#include <cstdlib>

#include "ssd/util/error.h"

namespace ssd::distributed {

namespace {

std::optional<std::string> value_of(const GetEnv& getenv, const char* name) {
  const char* v = getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

int integer_of(const GetEnv& getenv, const char* name, const std::string& source, int lowest, int highest) {
  const auto text = value_of(getenv, name);
  if (!text) throw ConfigError(source + ": " + name + " is not set");
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text->c_str(), &end, 10);
  if (errno != 0 || end == text->c_str() || *end != '\0' || v < lowest || v > highest)
    throw ConfigError(source + ": " + name + "=" + *text + " is not a whole number from " + std::to_string(lowest) + " to " +
                      std::to_string(highest));
  return static_cast<int>(v);
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

constexpr int kMostRanks = 1 << 20;

// Slurm's tasks per node, "4" or "4(x2),3" (two nodes of 4, then one of 3): the count of node `node`; 1 when the text
// does not say.
int tasks_on_node(const std::string& text, int node) {
  int index = 0;
  for (const auto& part : split_commas(text)) {
    const int count = std::atoi(part.c_str());
    const auto x = part.find("(x");
    const int repeat = x == std::string::npos ? 1 : std::atoi(part.c_str() + x + 2);
    if (node < index + std::max(repeat, 1)) return std::max(count, 1);
    index += std::max(repeat, 1);
  }
  return 1;
}

}  // namespace

std::optional<LaunchEnv> read_launch_env(const GetEnv& getenv) {
  LaunchEnv e;
  const bool torch_style = value_of(getenv, "RANK") || value_of(getenv, "WORLD_SIZE");
  if (torch_style) {
    e.source = "torchrun environment";
    if (!value_of(getenv, "RANK")) throw ConfigError("torchrun environment: WORLD_SIZE is set but RANK is not (each process needs its own RANK)");
    e.world_size = integer_of(getenv, "WORLD_SIZE", e.source, 1, kMostRanks);
    e.rank = integer_of(getenv, "RANK", e.source, 0, e.world_size - 1);
    // Kubeflow's PyTorchJob sets neither: one process per pod.
    e.local_rank = value_of(getenv, "LOCAL_RANK") ? integer_of(getenv, "LOCAL_RANK", e.source, 0, kMostRanks) : 0;
    e.local_world_size = value_of(getenv, "LOCAL_WORLD_SIZE") ? integer_of(getenv, "LOCAL_WORLD_SIZE", e.source, 1, kMostRanks) : 1;
  } else {
    // srun sets SLURM_STEP_NUM_TASKS for the processes of a job step; a batch script itself (one process, with the
    // job's SLURM_NTASKS) has none and runs alone.
    if (!value_of(getenv, "SLURM_STEP_NUM_TASKS")) return std::nullopt;
    e.source = "Slurm environment";
    e.world_size = integer_of(getenv, "SLURM_STEP_NUM_TASKS", e.source, 1, kMostRanks);
    if (e.world_size == 1) return std::nullopt;  // one task: a job step that runs alone
    e.rank = integer_of(getenv, "SLURM_PROCID", e.source, 0, e.world_size - 1);
    e.local_rank = value_of(getenv, "SLURM_LOCALID") ? integer_of(getenv, "SLURM_LOCALID", e.source, 0, kMostRanks) : 0;
    const int node = value_of(getenv, "SLURM_NODEID") ? integer_of(getenv, "SLURM_NODEID", e.source, 0, kMostRanks) : 0;
    if (const auto per_node = value_of(getenv, "SLURM_STEP_TASKS_PER_NODE")) e.local_world_size = tasks_on_node(*per_node, node);
    // At least as many as the local rank says are here (the variable may be missing or describe another step).
    e.local_world_size = std::max(e.local_world_size, e.local_rank + 1);
  }
  if (e.local_rank >= e.local_world_size)
    throw ConfigError(e.source + ": the local rank " + std::to_string(e.local_rank) + " is not below the " +
                      std::to_string(e.local_world_size) + " processes on this machine (LOCAL_RANK, LOCAL_WORLD_SIZE)");
  if (e.world_size == 1 && !value_of(getenv, "MASTER_ADDR")) return e;  // one rank: nothing to meet
  const auto addr = value_of(getenv, "MASTER_ADDR");
  if (!addr) throw ConfigError(e.source + ": MASTER_ADDR is not set (the host of rank 0, where the processes meet)");
  e.master_addr = *addr;
  e.master_port = integer_of(getenv, "MASTER_PORT", e.source, 1, 65535);
  const auto agent = value_of(getenv, "TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent && (*agent == "True" || *agent == "true" || *agent == "1");
  e.restart_count = value_of(getenv, "TORCHELASTIC_RESTART_COUNT") ? integer_of(getenv, "TORCHELASTIC_RESTART_COUNT", e.source, 0, kMostRanks) : 0;
  if (const auto ifname = value_of(getenv, "GLOO_SOCKET_IFNAME")) e.gloo_interfaces = split_commas(*ifname);
  return e;
}

}  // namespace ssd::distributed
