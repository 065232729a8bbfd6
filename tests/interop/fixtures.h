#pragma once
// The weights files of scripts/interop_fixtures.py (Debian's python3-torch and python3-torchvision), made once in
// the build tree: CTest runs them as the interop.fixtures test before any other; a direct run of ssd_tests makes
// them on first use. Parity tests never skip: without the reference they fail and say why.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace ssd::test {

inline std::string interop_dir() { return SSD_INTEROP_DIR; }

/// "" when the fixtures are there (made now if needed), else why not.
inline std::string interop_fixtures_problem() {
  static const std::string problem = [] {
    if (std::filesystem::exists(interop_dir() + "/expected.json")) return std::string();
    const std::string command = "/usr/bin/python3 " + std::string(SSD_SOURCE_DIR) + "/scripts/interop_fixtures.py " + interop_dir() +
                                " > " + interop_dir() + ".log 2>&1";
    if (std::system(command.c_str()) != 0)
      return "the Python reference failed (" + interop_dir() + ".log): Debian's python3-torch and python3-torchvision are "
             "needed (bash scripts/setup.sh)";
    return std::string();
  }();
  return problem;
}

inline nlohmann::json interop_expected() { return nlohmann::json::parse(std::ifstream(interop_dir() + "/expected.json")); }

/// Base of the tests that read the fixtures: fails (never skips) when the reference could not make them.
class InteropFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto problem = interop_fixtures_problem();
    ASSERT_TRUE(problem.empty()) << problem;
  }
  static std::string path(const std::string& name) { return interop_dir() + "/" + name; }
};

}  // namespace ssd::test
