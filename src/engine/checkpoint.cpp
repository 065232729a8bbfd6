#include "ssd/engine/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <torch/serialize.h>
#include <torch/version.h>

#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::engine {

namespace {

void fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;  // best effort: some file systems do not allow opening directories
  ::fsync(fd);
  ::close(fd);
}

at::Tensor scalar(int64_t v) { return at::tensor(v, at::kLong); }
at::Tensor scalar(double v) { return at::tensor(v, at::kDouble); }

}  // namespace

std::string temporary_checkpoint_path(const std::string& path) {
  const fs::path target(path);
  return (target.parent_path() / ("." + target.filename().string() + ".tmp")).string();
}

void save_checkpoint(const std::string& path, model::Ssd& model, torch::optim::Optimizer* optimizer, const CheckpointState& state) {
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
  const std::string tmp = temporary_checkpoint_path(path);
  std::error_code ec;
  try {
    archive.save_to(tmp);
  } catch (const std::exception& e) {
    fs::remove(tmp, ec);
    throw CheckpointError(path + ": cannot write checkpoint: " + e.what());
  }
  fsync_path(tmp, false);
  fs::rename(tmp, path, ec);  // atomic on POSIX: readers see the old file or the new one, never a mix
  if (ec) {
    const std::string reason = ec.message();
    fs::remove(tmp, ec);
    throw CheckpointError(path + ": cannot move the new checkpoint into place: " + reason);
  }
  const fs::path folder = fs::path(path).parent_path();
  fsync_path(folder.empty() ? "." : folder.string(), true);
}

namespace {

// Tensors are read onto `device` whatever device wrote them: a GPU checkpoint loads on a CPU-only machine, and
// parameters and optimizer state land where the model already is (LibTorch would otherwise move each parameter
// to the device stored in the file).
torch::serialize::InputArchive open_archive(const std::string& path, c10::Device device = c10::Device(c10::kCPU)) {
  if (!fs::exists(path)) throw CheckpointError(path + ": checkpoint not found");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, device);
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
  return archive;
}

}  // namespace

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

CheckpointState read_checkpoint_state(const std::string& path) {
  auto archive = open_archive(path);
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

void load_checkpoint(const std::string& path, model::Ssd& model, torch::optim::Optimizer* optimizer) {
  auto archive = open_archive(path, model->parameters().front().device());
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

std::string resolve_checkpoint_path(const std::string& path) {
  if (fs::is_directory(path)) return (fs::path(path) / "last.pt").string();
  return path;
}

}  // namespace ssd::engine
