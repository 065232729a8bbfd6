#include "ssd/engine/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

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

void save_checkpoint(const std::string& path, model::Ssd& model, torch::optim::Optimizer* optimizer, const TrainState& state) {
  torch::serialize::OutputArchive archive;
  archive.write("meta/format", scalar(kCheckpointFormat));
  archive.write("meta/torch_version", c10::IValue(std::string(TORCH_VERSION)));
  archive.write("meta/config", c10::IValue(state.config_yaml));
  archive.write("state/iteration", scalar(state.iteration));
  archive.write("state/epoch", scalar(state.epoch));
  archive.write("state/batch_in_epoch", scalar(state.batch_in_epoch));
  archive.write("state/best_metric", scalar(state.best_metric));
  archive.write("state/best_epoch", scalar(state.best_epoch));
  archive.write("state/total_iters", scalar(state.total_iters));
  archive.write("state/schedule", c10::IValue(state.schedule_state));
  archive.write("state/early_stop", c10::IValue(state.early_stop_state));
  archive.write("state/amp", c10::IValue(state.amp_state));
  torch::serialize::OutputArchive model_archive;
  model->save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  const fs::path target(path);
  const std::string tmp = (target.parent_path() / ("." + target.filename().string() + ".tmp")).string();
  std::error_code ec;
  try {
    archive.save_to(tmp);
  } catch (const std::exception& e) {
    fs::remove(tmp, ec);
    throw CheckpointError(path + ": cannot write checkpoint: " + e.what());
  }
  fsync_path(tmp, false);
  fs::rename(tmp, target, ec);  // atomic on POSIX: readers see the old file or the new one, never a mix
  if (ec) {
    const std::string reason = ec.message();
    fs::remove(tmp, ec);
    throw CheckpointError(path + ": cannot move the new checkpoint into place: " + reason);
  }
  fsync_path(target.parent_path().empty() ? "." : target.parent_path().string(), true);
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
  if (format.item<int64_t>() != kCheckpointFormat)
    throw CheckpointError(path + ": checkpoint format " + std::to_string(format.item<int64_t>()) + ", this build reads format " +
                          std::to_string(kCheckpointFormat));
  return archive;
}

}  // namespace

TrainState read_checkpoint_state(const std::string& path) {
  auto archive = open_archive(path);
  TrainState s;
  try {
    c10::IValue text;
    archive.read("meta/config", text);
    s.config_yaml = text.toStringRef();
    at::Tensor t;
    archive.read("state/iteration", t);
    s.iteration = t.item<int64_t>();
    archive.read("state/epoch", t);
    s.epoch = t.item<int64_t>();
    archive.read("state/batch_in_epoch", t);
    s.batch_in_epoch = t.item<int64_t>();
    archive.read("state/best_metric", t);
    s.best_metric = t.item<double>();
    archive.read("state/best_epoch", t);
    s.best_epoch = t.item<int64_t>();
    // Added after the first checkpoints were written: optional, so those still resume.
    if (archive.try_read("state/total_iters", t)) s.total_iters = t.item<int64_t>();
    if (archive.try_read("state/schedule", text)) s.schedule_state = text.toStringRef();
    if (archive.try_read("state/early_stop", text)) s.early_stop_state = text.toStringRef();
    if (archive.try_read("state/amp", text)) s.amp_state = text.toStringRef();
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
