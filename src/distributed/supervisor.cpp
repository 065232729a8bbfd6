#include "ssd/distributed/supervisor.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>

extern char** environ;

namespace ssd::distributed {

namespace {

constexpr int kInterrupted = 130;  // a rank that stopped on the forwarded signal, with its checkpoint

// The environment of one rank: this process's, with the launcher's variables set.
std::vector<std::string> rank_environment(int rank, int processes, int port) {
  const std::map<std::string, std::string> launch{{"RANK", std::to_string(rank)},
                                                  {"WORLD_SIZE", std::to_string(processes)},
                                                  {"LOCAL_RANK", std::to_string(rank)},
                                                  {"LOCAL_WORLD_SIZE", std::to_string(processes)},
                                                  {"GROUP_RANK", "0"},
                                                  {"MASTER_ADDR", "127.0.0.1"},
                                                  {"MASTER_PORT", std::to_string(port)},
                                                  {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                                                  {"TORCHELASTIC_RESTART_COUNT", "0"}};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (!launch.count(entry.substr(0, entry.find('=')))) env.push_back(entry);
  }
  for (const auto& [name, value] : launch) env.push_back(name + "=" + value);
  // As torchrun does: NCCL then fails a collective whose peer died instead of waiting for ever (both spellings: the
  // variable was renamed in PyTorch 2.2).
  for (const char* name : {"NCCL_ASYNC_ERROR_HANDLING", "TORCH_NCCL_ASYNC_ERROR_HANDLING"})
    if (getenv(name) == nullptr) env.push_back(std::string(name) + "=1");
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

std::vector<std::string> without_nproc(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--nproc") {
      ++i;
      continue;
    }
    if (a.rfind("--nproc=", 0) == 0) continue;
    out.push_back(a);
  }
  return out;
}

int supervise(int processes, const std::string& program, const std::vector<std::string>& arguments, double grace_seconds) {
  // The store every rank meets at, on a free port of the loopback interface.
  c10d::TCPStoreOptions options;
  options.port = 0;
  options.isServer = true;
  options.waitWorkers = false;
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", options);
  const int port = store->getPort();

  // SIGINT and SIGTERM are taken here and forwarded once: the ranks run in their own process group, so that a Ctrl-C
  // in the terminal does not reach them twice (a second signal ends a rank at once, without its checkpoint).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGCHLD);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);

  std::vector<std::string> args{program};
  args.insert(args.end(), arguments.begin(), arguments.end());
  std::map<pid_t, int> rank_of;
  std::vector<pid_t> pids;
  const pid_t supervisor = getpid();
  for (int rank = 0; rank < processes; ++rank) {
    auto env = rank_environment(rank, processes, port);
    auto argv = pointers(args);
    auto envp = pointers(env);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("--nproc: cannot start rank ") + std::to_string(rank) + ": " + std::strerror(errno));
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // the supervisor killed: the ranks stop too
      if (getppid() != supervisor) _exit(1);
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      execve(program.c_str(), argv.data(), envp.data());
      _exit(127);
    }
    rank_of[pid] = rank;
    pids.push_back(pid);
  }
  spdlog::info("--nproc: started {} ranks (store at 127.0.0.1:{})", processes, port);

  const auto signal_all = [&](int sig) {
    for (const auto& [pid, rank] : rank_of) kill(pid, sig);
  };
  int result = 0;
  bool failed = false, forwarded = false;
  std::chrono::steady_clock::time_point kill_at{};
  while (!rank_of.empty()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0 && rank_of.count(pid)) {
      const int rank = rank_of[pid];
      rank_of.erase(pid);
      const int code = exit_code_of(status);
      if (forwarded && code == kInterrupted) {
        if (!failed) result = kInterrupted;
      } else if (code != 0 && !failed) {
        failed = true;
        result = code;
        if (!rank_of.empty()) {
          spdlog::error("--nproc: rank {} failed ({}); stopping the other ranks", rank, describe(status));
          signal_all(SIGTERM);
          kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(grace_seconds * 1000));
        } else {
          spdlog::error("--nproc: rank {} failed ({})", rank, describe(status));
        }
      }
      continue;
    }
    if (failed && std::chrono::steady_clock::now() > kill_at) {
      spdlog::error("--nproc: {} rank(s) still running {} s after the failure: killing them", rank_of.size(), grace_seconds);
      signal_all(SIGKILL);
      kill_at = std::chrono::steady_clock::time_point::max();
    }
    timespec wait{0, 100 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if ((sig == SIGINT || sig == SIGTERM) && !rank_of.empty()) {
      if (!forwarded) {
        spdlog::warn("--nproc: {}: asking every rank to stop (they write last.pt); a second signal ends them at once", strsignal(sig));
        forwarded = true;
        signal_all(sig);
      } else {
        signal_all(SIGKILL);
      }
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (failed) spdlog::error("--nproc: the run failed: rank logs above; the run directory keeps its last good checkpoint");
  return result;
}

}  // namespace ssd::distributed
