#include "cli/train_config.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <exception>
#include <filesystem>

#include "ssd/config/load.h"
#include "ssd/engine/checkpoint.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::cli {

namespace {

bool sets_run_dir(const std::vector<std::string>& overrides) {
  return std::any_of(overrides.begin(), overrides.end(), [](const std::string& s) { return s.rfind("train.run_dir=", 0) == 0; });
}

// A run continues where its checkpoint lies now: a moved (or copied) run directory must not write into the old one.
void continue_where_checkpoint_lies(config::Config& config, const std::string& checkpoint) {
  const fs::path here = fs::path(checkpoint).parent_path().empty() ? fs::path(".") : fs::path(checkpoint).parent_path();
  std::error_code ec;
  if (fs::equivalent(here, config.train.run_dir, ec)) return;
  spdlog::warn("{} was written in {}; the run continues where the checkpoint lies now, in {} (--set train.run_dir=DIR to choose "
               "another)", checkpoint, config.train.run_dir, here.string());
  config.train.run_dir = here.string();
}

// The stored config with --set on top, continuing where the checkpoint lies unless --set names train.run_dir.
config::Config resumed_config(const CommonOptions& o, const std::string& checkpoint, const std::string& stored_yaml) {
  if (!o.config_path.empty())
    throw ConfigError("--resume uses the config stored in the checkpoint; drop --config (use --set to change keys)");
  const auto overrides = all_overrides(o);
  auto config = config::load_config_text(stored_yaml, checkpoint + " (stored config)", overrides);
  if (!sets_run_dir(overrides)) continue_where_checkpoint_lies(config, checkpoint);
  return config;
}

// The message rank 0 publishes: the checkpoint, its stored config and the run directory it resolved, or its error.
constexpr char kResumeKey[] = "resume";

}  // namespace

config::Config load_train_config(const CommonOptions& o, const std::string& checkpoint) {
  return checkpoint.empty() ? load_config(o) : resumed_config(o, checkpoint, engine::read_checkpoint_state(checkpoint).config_yaml);
}

double rendezvous_timeout_s(const CommonOptions& o) {
  std::vector<std::string> only;
  for (const auto& s : all_overrides(o))
    if (s.rfind("distributed.rendezvous_timeout_s=", 0) == 0) only = {s};
  return config::load_config_text("", "--set", only).distributed.rendezvous_timeout_s;
}

DistributedResume resume_through_rank0(const CommonOptions& o, const std::string& resume, const distributed::Rendezvous& meeting) {
  if (meeting.env().rank == 0) {
    // The message is made first and published once, whatever happened: the others wait for it.
    DistributedResume start;
    YAML::Emitter message;
    message << YAML::BeginMap;
    std::exception_ptr failure;
    try {
      start.checkpoint = engine::resume_checkpoint(resume);
      const std::string stored_yaml = engine::read_checkpoint_state(start.checkpoint).config_yaml;
      start.config = resumed_config(o, start.checkpoint, stored_yaml);
      message << YAML::Key << "checkpoint" << YAML::Value << start.checkpoint;
      message << YAML::Key << "config" << YAML::Value << stored_yaml;
      message << YAML::Key << "run_dir" << YAML::Value << start.config.train.run_dir;
    } catch (const std::exception& e) {
      failure = std::current_exception();
      const char* kind = dynamic_cast<const ConfigError*>(&e) ? "config" : dynamic_cast<const CheckpointError*>(&e) ? "checkpoint" : "other";
      message << YAML::Key << "error" << YAML::Value << e.what() << YAML::Key << "kind" << YAML::Value << kind;
    }
    message << YAML::EndMap;
    meeting.publish(kResumeKey, message.c_str());
    if (failure) std::rethrow_exception(failure);
    return start;
  }
  const YAML::Node found = YAML::Load(meeting.wait_for(kResumeKey));
  if (found["error"]) {
    const std::string error = "rank 0 cannot resume: " + found["error"].as<std::string>();
    const std::string kind = found["kind"].as<std::string>();
    if (kind == "config") throw ConfigError(error);
    if (kind == "checkpoint") throw CheckpointError(error);
    throw std::runtime_error(error);
  }
  if (!o.config_path.empty())
    throw ConfigError("--resume uses the config stored in the checkpoint; drop --config (use --set to change keys)");
  DistributedResume start;
  start.checkpoint = found["checkpoint"].as<std::string>();
  const auto overrides = all_overrides(o);
  start.config = config::load_config_text(found["config"].as<std::string>(), start.checkpoint + " (stored config, as rank 0 read it)", overrides);
  if (!sets_run_dir(overrides)) start.config.train.run_dir = found["run_dir"].as<std::string>();
  return start;
}

}  // namespace ssd::cli
