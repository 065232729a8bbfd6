// distributed::read_launch_env: torchrun's, Kubeflow's and Slurm's variables, and the settings that cannot work.
#include <gtest/gtest.h>

#include <map>

#include "ssd/distributed/launch_env.h"
#include "ssd/util/error.h"
#include "test_support.h"

using namespace ssd;
using distributed::read_launch_env;

namespace {

distributed::GetEnv env_of(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    const auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST(LaunchEnv, NoLauncherMeansOneProcess) {
  EXPECT_FALSE(read_launch_env(env_of({})).has_value());
  EXPECT_FALSE(read_launch_env(env_of({{"SLURM_STEP_NUM_TASKS", "1"}, {"SLURM_PROCID", "0"}})).has_value());
  // A batch script of a job with 4 tasks, run without srun: one process.
  EXPECT_FALSE(read_launch_env(env_of({{"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "0"}, {"SLURM_TASKS_PER_NODE", "4"}})).has_value());
}

TEST(LaunchEnv, TorchrunStaticRendezvous) {
  const auto e = read_launch_env(env_of({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                                         {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "29500"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                                         {"TORCHELASTIC_RESTART_COUNT", "2"}, {"GLOO_SOCKET_IFNAME", "eth0,ib0"}}));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->rank, 3);
  EXPECT_EQ(e->world_size, 4);
  EXPECT_EQ(e->local_rank, 1);
  EXPECT_EQ(e->local_world_size, 2);
  EXPECT_EQ(e->master_addr, "10.0.0.1");
  EXPECT_EQ(e->master_port, 29500);
  EXPECT_TRUE(e->agent_store);
  EXPECT_EQ(e->restart_count, 2);
  EXPECT_EQ(e->gloo_interfaces, (std::vector<std::string>{"eth0", "ib0"}));
}

TEST(LaunchEnv, KubeflowSetsNoLocalRank) {
  const auto e = read_launch_env(env_of({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "job-master-0"}, {"MASTER_PORT", "23456"}}));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->local_rank, 0);
  EXPECT_EQ(e->local_world_size, 1);
  EXPECT_FALSE(e->agent_store);
}

TEST(LaunchEnv, SlurmWhenRankIsNotSet) {
  const auto e = read_launch_env(env_of({{"SLURM_NTASKS", "12"}, {"SLURM_STEP_NUM_TASKS", "10"}, {"SLURM_PROCID", "7"}, {"SLURM_LOCALID", "1"},
                                         {"SLURM_NODEID", "2"}, {"SLURM_STEP_TASKS_PER_NODE", "3(x2),4"}, {"MASTER_ADDR", "node01"},
                                         {"MASTER_PORT", "29500"}}));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->source, "Slurm environment");
  EXPECT_EQ(e->rank, 7);
  EXPECT_EQ(e->world_size, 10);  // the step's tasks, not the job's
  EXPECT_EQ(e->local_rank, 1);
  EXPECT_EQ(e->local_world_size, 4);  // node 2: after two nodes of 3
}

TEST(LaunchEnv, SettingsThatCannotWorkAreNamed) {
  const auto message = [](std::map<std::string, std::string> vars) {
    return test::thrown_message<ConfigError>([&] { read_launch_env(env_of(std::move(vars))); });
  };
  EXPECT_NE(message({{"WORLD_SIZE", "2"}}).find("WORLD_SIZE is set but RANK is not"), std::string::npos);
  EXPECT_NE(message({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}}).find("RANK=2"), std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}}).find("MASTER_ADDR is not set"), std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).find("MASTER_PORT is not set"), std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "two"}}).find("WORLD_SIZE=two"), std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}}).find("MASTER_PORT=70000"),
            std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "2"}, {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"},
                     {"MASTER_PORT", "1"}})
                .find("local rank 2"),
            std::string::npos);
}
