#pragma once
// What every fuzz target shares: the input as a file (the readers take paths, as the tools do), and the rule that a
// reader may refuse an input only with the project's own errors, which name the file (util/error.h). Anything else
// (a crash, a sanitizer report, another exception, a hang, unbounded memory) is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <spdlog/spdlog.h>

#include "ssd/util/error.h"

namespace ssd::fuzz {

/// A folder of this process's own, made once.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    static std::string pattern = "/tmp/ssd_fuzz_XXXXXX";
    if (!::mkdtemp(pattern.data())) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(pattern, ec);
    });
    spdlog::set_level(spdlog::level::off);  // the readers' warnings would flood the fuzzer's output
    return pattern;
  }();
  return dir;
}

/// Writes the input to `name` in the scratch folder; returns its path.
inline std::string as_file(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

/// Runs a reader; the project's errors are the expected way to refuse an input.
template <typename F>
void expect_clean(F&& read) {
  try {
    read();
  } catch (const DataError&) {
  } catch (const ConfigError&) {
  } catch (const CheckpointError&) {
  }
}

}  // namespace ssd::fuzz
