#include "ssd/engine/checkpoint.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <torch/serialize.h>
#include <torch/version.h>

#include "ssd/engine/checkpoint_file.h"
#include "ssd/engine/finite_state.h"
#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::engine {

namespace {

at::Tensor scalar(int64_t v) { return at::tensor(v, at::kLong); }

}  // namespace

void save_checkpoint(const std::string& path, model::Ssd& model, torch::optim::Optimizer* optimizer, const CheckpointState& state) {
  if (const auto bad = first_non_finite(model, optimizer); !bad.empty())
    throw CheckpointError(path + ": not written: " + bad + " holds NaN or infinite values (a diverged model); the previous " +
                          "checkpoint is kept. non_finite.action skip restores the last good state instead.");
  torch::serialize::OutputArchive archive;
  archive.write("meta/format", scalar(kCheckpointFormat));
  archive.write("meta/torch_version", c10::IValue(std::string(TORCH_VERSION)));
  archive.write("meta/config", c10::IValue(state.config_yaml));
  archive.write("state/iteration", scalar(state.position.iteration));
  archive.write("state/epoch", scalar(state.position.epoch));
  archive.write("state/batch_in_epoch", scalar(state.position.batch_in_epoch));
  archive.write("state/total_iters", scalar(state.total_iters));
  for (const auto& [name, text] : state.hooks) archive.write("hooks/" + name, c10::IValue(text));
  torch::serialize::OutputArchive model_archive;
  model->save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  write_sealed_file(path, [&](const std::function<size_t(const void*, size_t)>& sink) { archive.save_to(sink); });
}

namespace {

// Tensors are read onto `device` whatever device wrote them: a GPU checkpoint loads on a CPU-only machine, and
// parameters and optimizer state land where the model already is (LibTorch would otherwise move each parameter
// to the device stored in the file).
// A checkpoint is read from its file (`bytes` null: streamed, the file never whole in memory) or from its bytes.
torch::serialize::InputArchive open_archive(const std::string& path, const std::string* bytes,
                                            c10::Device device = c10::Device(c10::kCPU)) {
  if (!bytes && !fs::exists(path)) throw CheckpointError(path + ": checkpoint not found");
  const Seal seal = bytes ? seal_of(*bytes) : check_seal(path);
  if (seal == Seal::kBroken)
    throw CheckpointError(path + ": damaged: its bytes no longer match the SHA-256 sealed into it when it was written");
  torch::serialize::InputArchive archive;
  try {
    if (bytes) archive.load_from(bytes->data(), bytes->size(), device);
    else archive.load_from(path, device);
  } catch (const c10::Error& e) {
    throw CheckpointError(path + ": not a readable checkpoint (truncated or corrupt file?): " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": not a readable checkpoint (truncated or corrupt file?): " + e.what());
  }
  at::Tensor format;
  if (!archive.try_read("meta/format", format))
    throw CheckpointError(path + ": not an ssd-trainer checkpoint (no meta/format entry)");
  if (format.item<int64_t>() < 1 || format.item<int64_t>() > kCheckpointFormat)
    throw CheckpointError(path + ": checkpoint format " + std::to_string(format.item<int64_t>()) + ", this build reads formats 1 to " +
                          std::to_string(kCheckpointFormat));
  // Format 3 files are always sealed: one without its seal lost it (a damaged end, or a copy cut short and mended).
  if (format.item<int64_t>() >= 3 && seal == Seal::kUnsealed)
    throw CheckpointError(path + ": damaged: a format-" + std::to_string(format.item<int64_t>()) + " checkpoint without its SHA-256 seal");
  return archive;
}

}  // namespace

CheckpointBytes read_checkpoint_file(const std::string& path) {
  if (!fs::exists(path)) throw CheckpointError(path + ": checkpoint not found");
  return {path, read_checkpoint_bytes(path)};
}

namespace {

// Each value read into a tensor of its own: reading into one that already holds a value keeps that tensor's type,
// which turned a stored double (format 1's best metric) into the bits of an integer.
int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key) {
  at::Tensor t;
  archive.read(key, t);
  return t.item<int64_t>();
}

bool try_read_text(torch::serialize::InputArchive& archive, const std::string& key, std::string* out) {
  c10::IValue text;
  if (!archive.try_read(key, text)) return false;
  *out = text.toStringRef();
  return true;
}

// Format 1 kept the best metric, the schedule's, early stopping's and the loss scale's state as state/* entries:
// the same states the hooks of format 2 keep, written as those hooks write them.
void read_format1_states(torch::serialize::InputArchive& archive, CheckpointState& s) {
  at::Tensor best, best_epoch;
  archive.read("state/best_metric", best);
  archive.read("state/best_epoch", best_epoch);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%.17g %lld", best.item<double>(), static_cast<long long>(best_epoch.item<int64_t>()));
  s.hooks["best_model"] = buf;
  std::string text;
  if (try_read_text(archive, "state/schedule", &text) && !text.empty()) s.hooks["lr_schedule"] = text;
  if (try_read_text(archive, "state/early_stop", &text) && !text.empty()) s.hooks["early_stop"] = text;
  if (try_read_text(archive, "state/amp", &text) && !text.empty()) s.hooks["loss_scale"] = text;
  // Format 1 rewrote last.pt after each validation it made: count the run as validated where it stands.
  s.hooks["evaluation"] = std::to_string(s.position.iteration);
}

}  // namespace

namespace {

CheckpointState read_state(const std::string& path, const std::string* bytes) {
  auto archive = open_archive(path, bytes);
  CheckpointState s;
  try {
    at::Tensor format;
    archive.read("meta/format", format);
    if (!try_read_text(archive, "meta/config", &s.config_yaml)) throw CheckpointError(path + ": incomplete checkpoint: no meta/config");
    s.position.iteration = read_int(archive, "state/iteration");
    s.position.epoch = read_int(archive, "state/epoch");
    s.position.batch_in_epoch = read_int(archive, "state/batch_in_epoch");
    at::Tensor total;
    if (archive.try_read("state/total_iters", total)) s.total_iters = total.item<int64_t>();
    if (format.item<int64_t>() == 1) {
      read_format1_states(archive, s);
      return s;
    }
    for (const auto& key : archive.keys()) {
      if (key.rfind("hooks/", 0) != 0) continue;
      std::string text;
      try_read_text(archive, key, &text);
      s.hooks[key.substr(6)] = text;
    }
  } catch (const c10::Error& e) {
    throw CheckpointError(path + ": incomplete checkpoint: " + e.what_without_backtrace());
  }
  return s;
}

void load(const std::string& path, const std::string* bytes, model::Ssd& model, torch::optim::Optimizer* optimizer) {
  auto archive = open_archive(path, bytes, model->parameters().front().device());
  torch::serialize::InputArchive model_archive;
  if (!archive.try_read("model", model_archive)) throw CheckpointError(path + ": no model in the checkpoint");
  // Check names and shapes first, so a mismatch names the tensor instead of failing deep inside LibTorch.
  // Module::save nests one archive per submodule: "backbone.features.0.0.weight" is found by descending.
  auto find = [&](const std::string& dotted, at::Tensor& out) {
    torch::serialize::InputArchive* current = &model_archive;
    std::vector<torch::serialize::InputArchive> path;
    path.reserve(dotted.size());
    size_t start = 0;
    for (size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1) {
      path.emplace_back();
      if (!current->try_read(dotted.substr(start, dot - start), path.back())) return false;
      current = &path.back();
    }
    return current->try_read(dotted.substr(start), out);
  };
  auto check = [&](const std::string& name, const at::Tensor& expected) {
    at::Tensor stored;
    if (!find(name, stored))
      throw CheckpointError(path + ": tensor '" + name + "' is missing (was the checkpoint made with another model config?)");
    if (stored.sizes() != expected.sizes()) {
      std::ostringstream os;
      os << path << ": tensor '" << name << "' has shape " << stored.sizes() << " in the checkpoint, the model expects "
         << expected.sizes();
      throw CheckpointError(os.str());
    }
  };
  for (const auto& item : model->named_parameters()) check(item.key(), item.value());
  for (const auto& item : model->named_buffers()) check(item.key(), item.value());
  model->load(model_archive);
  if (optimizer) {
    torch::serialize::InputArchive optimizer_archive;
    if (!archive.try_read("optimizer", optimizer_archive))
      throw CheckpointError(path + ": no optimizer state in the checkpoint: cannot resume from it");
    try {
      optimizer->load(optimizer_archive);
    } catch (const std::exception& e) {
      throw CheckpointError(path + ": optimizer state does not fit this optimizer (was solver.optimizer changed?): " +
                            std::string(e.what()).substr(0, 300));
    }

  }
}

}  // namespace

CheckpointState read_checkpoint_state(const std::string& path) { return read_state(path, nullptr); }

CheckpointState read_checkpoint_state(const CheckpointBytes& checkpoint) { return read_state(checkpoint.name, &checkpoint.bytes); }

void load_checkpoint(const std::string& path, model::Ssd& model, torch::optim::Optimizer* optimizer) { load(path, nullptr, model, optimizer); }

void load_checkpoint(const CheckpointBytes& checkpoint, model::Ssd& model, torch::optim::Optimizer* optimizer) {
  load(checkpoint.name, &checkpoint.bytes, model, optimizer);
}

std::string resolve_checkpoint_path(const std::string& path) {
  if (fs::is_directory(path)) return (fs::path(path) / "last.pt").string();
  return path;
}

std::string resume_checkpoint(const std::string& path) {
  if (!fs::is_directory(path)) return path;
  const std::string last = (fs::path(path) / "last.pt").string();
  std::vector<std::string> passed_over;
  try {
    read_checkpoint_state(last);
    return last;
  } catch (const CheckpointError& e) {
    passed_over.push_back(e.what());
  }
  std::string newest;
  int64_t newest_iteration = -1;
  std::vector<fs::path> candidates;
  for (const auto& entry : fs::directory_iterator(path)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && (name == "best.pt" || (name.rfind("epoch_", 0) == 0 && entry.path().extension() == ".pt")))
      candidates.push_back(entry.path());
  }
  std::sort(candidates.begin(), candidates.end());  // the same choice on every file system when two are as new
  for (const auto& candidate : candidates) {
    try {
      const auto state = read_checkpoint_state(candidate.string());
      if (state.position.iteration > newest_iteration) newest = candidate.string(), newest_iteration = state.position.iteration;
    } catch (const CheckpointError& e) {
      passed_over.push_back(e.what());
    }
  }
  std::string reasons;
  for (const auto& r : passed_over) reasons += "\n  " + r;
  if (newest.empty()) throw CheckpointError(path + ": no checkpoint in it reads:" + reasons);
  spdlog::warn("resuming from {} (iteration {}), the newest checkpoint in {} that reads; passed over:{}", newest, newest_iteration, path,
               reasons);
  return newest;
}

}  // namespace ssd::engine
