#pragma once
// What a run records about the program and the machine that ran it (engine/run_summary.h): the command line, the
// version built, the host and its CPU, wall-clock timestamps, and whether a process still lives.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ssd::util {

/// Kept by each tool's main before anything else, for the files that record how a run was started.
void set_command_line(int argc, const char* const* argv);
const std::vector<std::string>& command_line();

/// The project's version and the commit it was built from (`git describe` at build time; "-dirty" with
/// uncommitted changes), e.g. "0.9.0 (eba85dd)". Defined in a file the build writes (cmake/BuildVersion.cmake).
std::string build_version();

std::string host_name();
/// The CPU's model name (/proc/cpuinfo), "" where it cannot be read.
std::string cpu_model();
/// `time` in UTC as ISO 8601 to the second: "2026-12-07T11:04:48Z".
std::string utc_timestamp(std::chrono::system_clock::time_point time = std::chrono::system_clock::now());
int64_t process_id();
/// Whether a process with this id lives on this machine.
bool process_alive(int64_t pid);

}  // namespace ssd::util
