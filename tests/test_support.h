#pragma once
// Helpers shared by the tests: golden files, exception text checks.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

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

}  // namespace ssd::test
