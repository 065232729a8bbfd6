#pragma once
// Exception types that carry the context a user needs to fix the problem.
// The library throws; only the mains in src/cli catch and turn these into exit codes.
#include <stdexcept>
#include <string>

namespace ssd {

/// A bad configuration value or key. what() already holds "file:line:col: key: message".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A problem with input data (an image, an annotation file, a data set path). what() names the file.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A checkpoint that cannot be written or read back. what() names the file and the reason.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Exit codes of the command-line tools, one per kind of failure so scripts can tell them apart.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      ///< anything not listed below
  kExitUsage = 2,        ///< bad command-line arguments (CLI11's own convention)
  kExitConfig = 3,       ///< ConfigError
  kExitData = 4,         ///< DataError
  kExitCheckpoint = 5,   ///< CheckpointError
  kExitInterrupted = 130 ///< SIGINT / SIGTERM
};

}  // namespace ssd
