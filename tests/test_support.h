#pragma once
// Helpers shared by the tests: golden files, exception text checks.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace ssd::test {

/// Reads tests/golden/<name>; fails the test (not skips) when it is missing: parity tests never skip quietly.
inline nlohmann::json golden(const std::string& name) {
  const std::string path = std::string(SSD_GOLDEN_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("golden file missing: " + path + " (run /usr/bin/python3 scripts/make_goldens.py)");
  return nlohmann::json::parse(in);
}

/// The message of the exception of type E that `f` throws; fails the test when it throws nothing or another type.
template <typename E, typename F>
std::string thrown_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

/// What the default logger writes while `f` runs: for tests of what a user is told.
template <typename F>
std::string logged(F&& f) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.push_back(sink);
  f();
  sinks.erase(std::find(sinks.begin(), sinks.end(), sink));
  return out.str();
}

/// The message of the exception of type E that `f` throws in a child process whose files may not grow past `bytes`
/// (a full disk, as the tools see it: SIGXFSZ ignored as cli/common.cpp does); "" when it threw none, and a note
/// when it threw another type or the child died. In a child: the limit is the process's.
template <typename E, typename F>
std::string message_under_file_size_limit(size_t bytes, F&& f) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return "(no pipe)";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{static_cast<rlim_t>(bytes), static_cast<rlim_t>(bytes)};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::string message;
    try {
      f();
    } catch (const E& e) {
      message = e.what();
    } catch (...) {
      message = "(another exception)";
    }
    const ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) message.append(buffer, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status)) return "(the child died of signal " + std::to_string(WTERMSIG(status)) + ")";
  return message;
}

}  // namespace ssd::test
